#include "libs/operations/operation.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::operations {
namespace {

TEST(OperationId, NamesItsOwner) {
  std::string id = NewOperationId("cards");
  EXPECT_EQ(id.size(), 6u + 36u);
  EXPECT_EQ(OwnerOfOperationId(id), "cards");
  EXPECT_EQ(OwnerOfOperationId("identity-x"), "identity");
  EXPECT_EQ(OwnerOfOperationId("cards"), std::nullopt);
  EXPECT_EQ(OwnerOfOperationId("cards-"), std::nullopt);
  EXPECT_EQ(OwnerOfOperationId("-abc"), std::nullopt);
  EXPECT_EQ(OwnerOfOperationId("Cards-abc"), std::nullopt);
  EXPECT_EQ(OwnerOfOperationId("ca/rds-abc"), std::nullopt);
  EXPECT_NE(NewOperationId("cards"), NewOperationId("cards"));
}

TEST(OperationState, NamesRoundTripAndFinalStates) {
  for (OperationState state :
       {OperationState::kPending, OperationState::kRunning, OperationState::kSucceeded,
        OperationState::kFailed, OperationState::kCancelled}) {
    EXPECT_EQ(ParseState(StateName(state)), state);
  }
  EXPECT_EQ(ParseState("DONE"), std::nullopt);
  EXPECT_FALSE(IsFinal(OperationState::kPending));
  EXPECT_FALSE(IsFinal(OperationState::kRunning));
  EXPECT_TRUE(IsFinal(OperationState::kSucceeded));
  EXPECT_TRUE(IsFinal(OperationState::kFailed));
  EXPECT_TRUE(IsFinal(OperationState::kCancelled));
}

TEST(ValidateNewOperation, NamesTheField) {
  NewOperation ok{.request_id = "r-1", .kind = "k", .item_keys = {"a", "b"}};
  EXPECT_TRUE(ValidateNewOperation(ok, "card_numbers").ok());

  NewOperation no_id = ok;
  no_id.request_id.clear();
  EXPECT_EQ(ViolatedField(ValidateNewOperation(no_id, "card_numbers")), "request_id");
  NewOperation long_id = ok;
  long_id.request_id = std::string(kMaxRequestIdLength + 1, 'x');
  EXPECT_EQ(ViolatedField(ValidateNewOperation(long_id, "card_numbers")), "request_id");

  NewOperation none = ok;
  none.item_keys.clear();
  EXPECT_EQ(ViolatedField(ValidateNewOperation(none, "card_numbers")), "card_numbers");
  NewOperation newline = ok;
  newline.item_keys[1] = "a\nb";
  EXPECT_EQ(ViolatedField(ValidateNewOperation(newline, "card_numbers")), "card_numbers[1]");
  NewOperation empty = ok;
  empty.item_keys[0].clear();
  EXPECT_EQ(ViolatedField(ValidateNewOperation(empty, "card_numbers")), "card_numbers[0]");
}

TEST(CanonicalContent, ItemBoundariesAndEveryPartCount) {
  NewOperation a{.request_id = "r", .kind = "k", .params = "p", .item_keys = {"ab", "c"}};
  NewOperation b = a;
  b.item_keys = {"a", "bc"};
  EXPECT_NE(CanonicalContent(a), CanonicalContent(b));
  NewOperation c = a;
  c.params = "q";
  EXPECT_NE(CanonicalContent(a), CanonicalContent(c));
  NewOperation d = a;
  d.request_id = "other";
  d.created_by = "someone else";
  EXPECT_EQ(CanonicalContent(a), CanonicalContent(d)) << "who and which key are not content";
  // Pinned: stored digests are computed from this text.
  EXPECT_EQ(CanonicalContent(a), "operation.v1|1:k|1:p|2:ab|1:c|");
}

}  // namespace
}  // namespace loyalty::operations
