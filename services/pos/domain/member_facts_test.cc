#include "services/pos/domain/member_facts.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::pos {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

class FakeDirectory final : public MemberDirectory {
 public:
  absl::StatusOr<MemberProfile> GetProfile(const std::string& program_id,
                                           const std::string& client_id) override {
    asked.push_back(program_id + "/" + client_id);
    if (!failure.ok()) return failure;
    return profile;
  }
  MemberProfile profile;
  absl::Status failure;
  std::vector<std::string> asked;
};

class FakeHistory final : public PurchaseHistory {
 public:
  absl::StatusOr<bool> HasConfirmedReceipt(const std::string&,
                                           const std::string& card_number) override {
    if (!failure.ok()) return failure;
    return card_number == bought_with;
  }
  std::string bought_with;
  absl::Status failure;
};

const CardInfo kCard{.number = "2000000000008",
                     .active = true,
                     .client_id = "client-1",
                     .level_id = "gold"};

TEST(MemberFactsOfTest, TakesTheLevelFromTheCardAndTheRestFromTheProfile) {
  MemberProfile profile{.tags = {"vip", "tag-1"},
                        .attributes = {{"city", "Perm"}},
                        .birthday = absl::CivilDay(1990, 2, 28)};
  promotions::MemberFacts facts = MemberFactsOf(kCard, profile, /*has_confirmed_receipt=*/false);
  EXPECT_EQ(facts.level, "gold");
  EXPECT_THAT(facts.tags, ElementsAre("vip", "tag-1"));
  EXPECT_THAT(facts.attributes, ElementsAre(Pair("city", "Perm")));
  EXPECT_EQ(facts.birthday, absl::CivilDay(1990, 2, 28));
  EXPECT_TRUE(facts.first_purchase);
  EXPECT_THAT(facts.segment_ids, IsEmpty());  // segmentation is not wired in yet
  EXPECT_FALSE(MemberFactsOf(kCard, profile, /*has_confirmed_receipt=*/true).first_purchase);
}

TEST(LookUpMemberFactsTest, AsksIdentityForTheCardsClientAndPosForItsReceipts) {
  FakeDirectory directory;
  directory.profile.tags = {"vip"};
  FakeHistory history;
  history.bought_with = kCard.number;
  auto facts = LookUpMemberFacts("p1", kCard, directory, history);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_THAT(directory.asked, ElementsAre("p1/client-1"));
  EXPECT_THAT(facts->tags, ElementsAre("vip"));
  EXPECT_FALSE(facts->first_purchase);
}

TEST(LookUpMemberFactsTest, ACardWithoutAClientHasItsLevelOnly) {
  FakeDirectory directory;
  FakeHistory history;
  CardInfo card = kCard;
  card.client_id.clear();
  auto facts = LookUpMemberFacts("p1", card, directory, history);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_THAT(directory.asked, IsEmpty());
  EXPECT_EQ(facts->level, "gold");
  EXPECT_TRUE(facts->first_purchase);
}

TEST(LookUpMemberFactsTest, FailuresAreReturned) {
  FakeDirectory directory;
  FakeHistory history;
  directory.failure = absl::UnavailableError("identity down");
  EXPECT_EQ(LookUpMemberFacts("p1", kCard, directory, history).status().code(),
            absl::StatusCode::kUnavailable);
  directory.failure = absl::OkStatus();
  history.failure = absl::UnavailableError("database down");
  EXPECT_EQ(LookUpMemberFacts("p1", kCard, directory, history).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace loyalty::pos
