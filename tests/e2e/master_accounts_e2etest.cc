// Master accounts (CRD-6) through the real gateway over HTTP: two family
// cards pool their points, both see and spend one balance, one leaves with
// its proportional share; the POS key may read but not change a master
// account; bad input gets a 4xx naming the field. Ends with the ledger
// invariants against the services' database.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/pool.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/cards/v1/master_accounts_service.pb.h"
#include "services/cards/storage/ledger_invariants.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::cards::v1;

class MasterAccountsTest : public SharedStackTest {
 protected:
  // With the admin key unless another is given.
  static http::Response Send(const std::string& method, const std::string& path,
                             const std::string& body = "", const std::string& key = "") {
    return SharedStackTest::Send(method, path, body, key.empty() ? stack_->demo().api_key : key);
  }

  // A card of a new client holding `points` (a correction credit).
  static std::string CardWithPoints(int64_t points) {
    const std::string number = NewMemberCard();
    Adjust(number, points);
    return number;
  }

  static void Adjust(const std::string& number, int64_t points) {
    http::Response adjusted =
        Send("POST", absl::StrCat("/v1/cards/", number, ":adjustPoints"),
             absl::StrCat(R"({"amount": )", points, R"(, "reason": "e2e", "requestId": "adj-)",
                          UniqueDigits(12), R"("})"));
    EXPECT_EQ(adjusted.status, 200) << adjusted.body;
  }

  static int64_t Available(const std::string& number) {
    http::Response card = Send("GET", absl::StrCat("/v1/cards/", number));
    EXPECT_EQ(card.status, 200) << card.body;
    return Parse<v1::Card>(card.body).balance().available();
  }
};

TEST_F(MasterAccountsTest, FamilyPoolsSpendsAndOneLeavesWithItsShare) {
  const std::string mum = CardWithPoints(100);
  const std::string son = CardWithPoints(50);
  const std::string body = absl::StrCat(R"({"cardNumbers": [")", mum, R"(", ")", son,
                                        R"("], "defaultLeaveRule": "LEAVE_RULE_PROPORTIONAL",)"
                                        R"( "requestId": "family-)",
                                        UniqueDigits(10), R"("})");
  http::Response created = Send("POST", "/v1/masterAccounts", body);
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::MasterAccount master = Parse<v1::MasterAccount>(created.body);
  EXPECT_EQ(master.state(), v1::MASTER_ACCOUNT_STATE_ACTIVE);
  EXPECT_EQ(master.balance().available(), 150);
  ASSERT_EQ(master.members_size(), 2);
  EXPECT_EQ(master.total_contribution(), 150);

  // The same request again changes nothing.
  http::Response again = Send("POST", "/v1/masterAccounts", body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(Parse<v1::MasterAccount>(again.body).replayed());
  EXPECT_EQ(Parse<v1::MasterAccount>(again.body).master_account_id(), master.master_account_id());

  // Each card names its master account and its share of it.
  http::Response mum_card =
      Send("GET", absl::StrCat("/v1/cards/", mum), "", stack_->demo().pos_api_key);
  ASSERT_EQ(mum_card.status, 200) << mum_card.body;
  const v1::Card mum_view = Parse<v1::Card>(mum_card.body);
  EXPECT_EQ(mum_view.master_account().master_account_id(), master.master_account_id());
  EXPECT_EQ(mum_view.master_account().share_bp(), 6666);
  EXPECT_EQ(mum_view.master_account().member_count(), 2);
  EXPECT_THAT(mum_card.body, HasSubstr(R"("shareBp")"));

  // Both cards see and spend one balance.
  EXPECT_EQ(Available(mum), 150);
  EXPECT_EQ(Available(son), 150);
  Adjust(son, -30);
  EXPECT_EQ(Available(mum), 120);

  // The till may read the master account, not change it.
  const std::string path = absl::StrCat("/v1/masterAccounts/", master.master_account_id());
  http::Response read = Send("GET", path, "", stack_->demo().pos_api_key);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Parse<v1::MasterAccount>(read.body).balance().available(), 120);
  http::Response forbidden =
      Send("POST", path + ":removeMember",
           absl::StrCat(R"({"cardNumber": ")", son, R"(", "requestId": "pos-leave"})"),
           stack_->demo().pos_api_key);
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;

  // The son leaves with 120 x 50 / 150 = 40.
  http::Response left = Send("POST", path + ":removeMember",
                             absl::StrCat(R"({"cardNumber": ")", son, R"(", "requestId": "leave-)",
                                          UniqueDigits(10), R"("})"));
  ASSERT_EQ(left.status, 200) << left.body;
  const v1::RemoveMemberResponse removed = Parse<v1::RemoveMemberResponse>(left.body);
  EXPECT_EQ(removed.leave_rule(), v1::LEAVE_RULE_PROPORTIONAL);
  EXPECT_EQ(removed.points(), 40);
  EXPECT_EQ(removed.master_account().members_size(), 1);
  EXPECT_EQ(Available(son), 40);
  EXPECT_EQ(Available(mum), 80);
  http::Response son_card = Send("GET", absl::StrCat("/v1/cards/", son));
  ASSERT_EQ(son_card.status, 200) << son_card.body;
  EXPECT_FALSE(Parse<v1::Card>(son_card.body).has_master_account());
}

TEST_F(MasterAccountsTest, BadInputNamesTheField) {
  const std::string card = CardWithPoints(10);
  http::Response no_cards = Send("POST", "/v1/masterAccounts", R"({"requestId": "bad-1"})");
  EXPECT_EQ(no_cards.status, 400) << no_cards.body;
  EXPECT_THAT(no_cards.body, HasSubstr("card_numbers"));
  http::Response unknown = Send("GET", "/v1/masterAccounts/not-a-uuid");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_THAT(unknown.body, HasSubstr("master_account_id"));
  http::Response missing =
      Send("POST", "/v1/masterAccounts/9b2f8c1e-0000-4000-8000-000000000000:addMember",
           absl::StrCat(R"({"cardNumber": ")", card, R"(", "requestId": "bad-2"})"));
  EXPECT_EQ(missing.status, 404) << missing.body;
}

TEST_F(MasterAccountsTest, InvariantsHoldInTheServicesDatabase) {
  pg::Pool pool({.conninfo = stack_->postgres().ConnectionString(), .schema = "cards", .size = 1});
  auto violations = cards::FindLedgerInvariantViolations(pool, {.check_events = true});
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");
}

}  // namespace
}  // namespace loyalty::e2e
