#include "services/cards/domain/mass_change.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/api/mass_change.h"

namespace loyalty::cards {
namespace {

TEST(ValidateMassChangeCards, BoundsSyntaxAndRepeats) {
  EXPECT_TRUE(ValidateMassChangeCards({"4600000000017", "123456"}).ok());
  EXPECT_EQ(ViolatedField(ValidateMassChangeCards({})), "card_numbers");
  EXPECT_EQ(ViolatedField(ValidateMassChangeCards({"4600000000017", "12a456"})), "card_numbers[1]");
  EXPECT_EQ(ViolatedField(ValidateMassChangeCards({"12345"})), "card_numbers[0]");
  absl::Status repeated = ValidateMassChangeCards({"123456", "654321", "123456"});
  EXPECT_EQ(ViolatedField(repeated), "card_numbers[2]");
  EXPECT_NE(repeated.message().find("card_numbers[0]"), absl::string_view::npos);

  std::vector<std::string> many(kMaxMassChangeCards + 1);
  for (size_t i = 0; i < many.size(); ++i) many[i] = std::to_string(1'000'000 + i);
  EXPECT_EQ(ViolatedField(ValidateMassChangeCards(many)), "card_numbers");
  many.pop_back();
  EXPECT_TRUE(ValidateMassChangeCards(many).ok());
}

TEST(NormalizeMassChange, NamesTheFieldOfTheChange) {
  MassChange points{.kind = MassChange::Kind::kPoints, .reason = "gift", .amount = 0};
  EXPECT_EQ(ViolatedField(NormalizeMassChange(points)), "change.adjust_points.amount");
  points.amount = kMaxAmount + 1;
  EXPECT_EQ(ViolatedField(NormalizeMassChange(points)), "change.adjust_points.amount");
  points.amount = -kMaxAmount;
  EXPECT_TRUE(NormalizeMassChange(points).ok());
  points.reason.clear();
  EXPECT_EQ(ViolatedField(NormalizeMassChange(points)), "change.adjust_points.reason");

  MassChange status{.kind = MassChange::Kind::kStatus, .status = CardStatus::kBlocked};
  EXPECT_EQ(ViolatedField(NormalizeMassChange(status)), "change.set_status.reason");

  MassChange tmpl{.kind = MassChange::Kind::kTemplate, .template_id = "nope"};
  EXPECT_EQ(ViolatedField(NormalizeMassChange(tmpl)), "change.set_template.template_id");
  tmpl.template_id = "0B7C0D5E-1111-4222-8333-944445555666";
  EXPECT_TRUE(NormalizeMassChange(tmpl).ok());
  EXPECT_EQ(tmpl.template_id, "0b7c0d5e-1111-4222-8333-944445555666");

  MassChange level{.kind = MassChange::Kind::kLevel,
                   .level_id = "0b7c0d5e-1111-4222-8333-944445555666"};
  EXPECT_EQ(ViolatedField(NormalizeMassChange(level)), "change.set_level.comment");
  level.comment = std::string(kMaxLevelCommentLength + 1, 'x');
  EXPECT_EQ(ViolatedField(NormalizeMassChange(level)), "change.set_level.comment");

  MassChange tags{.kind = MassChange::Kind::kTags};
  EXPECT_EQ(ViolatedField(NormalizeMassChange(tags)), "change.change_tags.tag_id");
  tags.tag_id = "VIP";
  EXPECT_EQ(ViolatedField(NormalizeMassChange(tags)), "change.change_tags.tag_id");
  tags.tag_id = "0B7C0D5E-1111-4222-8333-944445555666";
  EXPECT_TRUE(NormalizeMassChange(tags).ok());
  EXPECT_EQ(tags.tag_id, "0b7c0d5e-1111-4222-8333-944445555666");
}

TEST(CardHolders, OwnerFirstThenCoHoldersEachOnce) {
  EXPECT_TRUE(CardHolders(Card{}).empty());
  Card card{.client_id = "a"};
  EXPECT_EQ(CardHolders(card), (std::vector<std::string>{"a"}));
  card.holder_client_ids = {"b", "a", "c", "b"};
  EXPECT_EQ(CardHolders(card), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(MassChangeItemKey, StablePerOperationAndItem) {
  EXPECT_EQ(MassChangeItemKey("cards-abc", 17), "cards-abc:17");
  EXPECT_NE(MassChangeItemKey("cards-abc", 1), MassChangeItemKey("cards-abc", 11));
}

v1::StartMassChangeRequest PointsRequest() {
  v1::StartMassChangeRequest request;
  request.set_request_id("mass-1");
  request.add_card_numbers("4600000000017");
  request.add_card_numbers("4600000000024");
  request.mutable_change()->mutable_adjust_points()->set_amount(500);
  request.mutable_change()->mutable_adjust_points()->set_reason("gift");
  return request;
}

TEST(MassChangeOperation, RequestBecomesOneItemPerCard) {
  absl::StatusOr<operations::NewOperation> op = MassChangeOperation(PointsRequest(), "key-1");
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->kind, kMassChangeKind);
  EXPECT_EQ(op->request_id, "mass-1");
  EXPECT_EQ(op->created_by, "key-1");
  EXPECT_EQ(op->item_keys, (std::vector<std::string>{"4600000000017", "4600000000024"}));
  // The same request encodes the same parameters (a retry's digest matches).
  EXPECT_EQ(MassChangeOperation(PointsRequest(), "key-2")->params, op->params);
}

TEST(MassChangeOperation, BadInputNamesTheField) {
  v1::StartMassChangeRequest request = PointsRequest();
  request.clear_request_id();
  EXPECT_EQ(ViolatedField(MassChangeOperation(request, "k").status()), "request_id");

  request = PointsRequest();
  request.add_card_numbers("46000-0000");
  EXPECT_EQ(ViolatedField(MassChangeOperation(request, "k").status()), "card_numbers[2]");

  request = PointsRequest();
  request.clear_change();
  EXPECT_EQ(ViolatedField(MassChangeOperation(request, "k").status()), "change");

  request = PointsRequest();
  request.mutable_change()->mutable_set_status()->set_reason("x");
  EXPECT_EQ(ViolatedField(MassChangeOperation(request, "k").status()), "change.set_status.status");
}

TEST(MassChangeProto, RoundTripsEveryKind) {
  for (MassChange change :
       {MassChange{.kind = MassChange::Kind::kStatus, .status = CardStatus::kLost, .reason = "r"},
        MassChange{.kind = MassChange::Kind::kTemplate,
        .template_id = "0b7c0d5e-1111-4222-8333-944445555666"},
        MassChange{.kind = MassChange::Kind::kLevel,
        .level_id = "0b7c0d5e-1111-4222-8333-944445555666",
        .comment = "c",
        .expire_time = absl::FromUnixSeconds(1'800'000'000),
        .grant_bonus = true},
        MassChange{.kind = MassChange::Kind::kPoints, .reason = "r", .amount = -5},
        MassChange{.kind = MassChange::Kind::kTags,
        .tag_id = "0b7c0d5e-1111-4222-8333-944445555666",
        .remove_tag = true}}) {
    absl::StatusOr<MassChange> back = MassChangeFromProto(ToProto(change));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->kind, change.kind);
    EXPECT_EQ(back->status, change.status);
    EXPECT_EQ(back->reason, change.reason);
    EXPECT_EQ(back->template_id, change.template_id);
    EXPECT_EQ(back->level_id, change.level_id);
    EXPECT_EQ(back->comment, change.comment);
    EXPECT_EQ(back->expire_time, change.expire_time);
    EXPECT_EQ(back->grant_bonus, change.grant_bonus);
    EXPECT_EQ(back->amount, change.amount);
    EXPECT_EQ(back->tag_id, change.tag_id);
    EXPECT_EQ(back->remove_tag, change.remove_tag);
  }
}

}  // namespace
}  // namespace loyalty::cards
