// CRD-9: transfers at coalition partners move against each partner's own
// system accounts, lots remember who issued them, and the settlement
// report says whose points were consumed where.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/cards/storage/points_reader.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;

class PartnerSettlementTest : public CardsPgTest {
 protected:
  static TransferSpec At(std::string partner, TransferSpec spec) {
    spec.partner_id = std::move(partner);
    return spec;
  }

  PartnerSettlement Settle(absl::Time from, absl::Time to) {
    PointsReader reader(*pool_, clock_);
    auto settlement = reader.Settlement(program_, from, to);
    EXPECT_TRUE(settlement.ok()) << settlement.status();
    return settlement.ok() ? *settlement : PartnerSettlement{};
  }
};

TEST_F(PartnerSettlementTest, PointsOfOnePartnerSpentAtAnotherAreOwedToIt) {
  const Card card = NewCard();
  const absl::Time start = clock_.Now();
  MustCommit(At("alpha", Accrual("buy-at-alpha", card, 100)));
  clock_.Advance(absl::Minutes(1));
  MustCommit(At("beta", Accrual("buy-at-beta", card, 50)));
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(ledger_
                  ->Correct(program_, TransferSpec{.transfer_id = "bonus",
                                                   .kind = TransferKind::kCorrectionCredit,
                                                   .card_number = card.number,
                                                   .amount = 20,
                                                   .reason = "welcome bonus"})
                  .ok());
  clock_.Advance(absl::Minutes(1));
  // Oldest lots first: alpha's 100, then 30 of beta's 50.
  MustCommit(At("beta", Redemption("spend-at-beta", card, 130)));
  clock_.Advance(absl::Minutes(1));
  // A purchase returned at gamma takes back what is left: beta's 20, then
  // the program's bonus (no gamma lots exist).
  TransferSpec reversal = Spec("return-at-gamma", TransferKind::kAccrualReversal, card, 30);
  MustCommit(At("gamma", reversal));
  clock_.Advance(absl::Minutes(1));

  // Each partner has its own issued and redeemed accounts.
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1 AND kind = 'issued'"
                   " AND partner_id IN ('alpha', 'beta', 'gamma')"),
            3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM accounts WHERE program_id = $1 AND kind = 'redeemed'"
                   " AND partner_id = 'beta'"),
            1);
  EXPECT_EQ(Scalar("SELECT -sum(p.amount)::bigint FROM postings p JOIN accounts a"
                   " USING (program_id, account_id)"
                   " WHERE p.program_id = $1 AND a.kind = 'issued' AND a.partner_id = 'alpha'"),
            100);

  const PartnerSettlement settlement = Settle(start, clock_.Now());
  const std::vector<PartnerActivity> activity = {
      {.partner_id = "alpha", .accrued = 100},
      {.partner_id = "beta", .accrued = 50, .redeemed = 130},
      {.partner_id = "gamma", .accrual_reversed = 30},
  };
  EXPECT_EQ(settlement.activity, activity);
  const std::vector<PartnerFlow> flows = {
      {.issuer_partner_id = "", .acceptor_partner_id = "gamma", .reversed = 10},
      {.issuer_partner_id = "alpha", .acceptor_partner_id = "beta", .redeemed = 100},
      {.issuer_partner_id = "beta", .acceptor_partner_id = "gamma", .reversed = 20},
  };
  EXPECT_EQ(settlement.flows, flows);
  const std::vector<PartnerNet> net = {
      {.debtor_partner_id = "", .creditor_partner_id = "gamma", .points = 10},
      {.debtor_partner_id = "alpha", .creditor_partner_id = "beta", .points = 100},
      {.debtor_partner_id = "beta", .creditor_partner_id = "gamma", .points = 20},
  };
  EXPECT_EQ(settlement.net, net);

  // The period bounds what counts: only the first accrual before minute 1.
  const PartnerSettlement first = Settle(start, start + absl::Seconds(30));
  ASSERT_EQ(first.activity.size(), 1u);
  EXPECT_EQ(first.activity[0].accrued, 100);
  EXPECT_TRUE(first.flows.empty());
}

TEST_F(PartnerSettlementTest, MergedPointsKeepTheirIssuer) {
  const Card source = NewCard();
  const Card target = NewCard();
  MustCommit(At("alpha", Accrual("a", source, 40)));
  auto merged = ledger_->MergeCards(program_, source.number, target.number, "duplicate", "op");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(Scalar("SELECT count(*) FROM lots l JOIN accounts a USING (program_id, account_id)"
                   " WHERE l.program_id = $1 AND l.partner_id = 'alpha' AND l.remaining = 40"),
            1);
  const absl::Time start = clock_.Now();
  clock_.Advance(absl::Seconds(1));
  MustCommit(At("beta", Redemption("spend", target, 40)));
  clock_.Advance(absl::Seconds(1));
  const PartnerSettlement settlement = Settle(start, clock_.Now());
  const std::vector<PartnerNet> net = {
      {.debtor_partner_id = "alpha", .creditor_partner_id = "beta", .points = 40}};
  EXPECT_EQ(settlement.net, net);
}

TEST_F(PartnerSettlementTest, TheSameIdAtAnotherPartnerIsAnotherRequest) {
  const Card card = NewCard();
  MustCommit(At("alpha", Accrual("t1", card, 10)));
  auto again = Commit({At("alpha", Accrual("t1", card, 10))});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->results[0].replayed);
  auto elsewhere = Commit({At("beta", Accrual("t1", card, 10))});
  EXPECT_EQ(elsewhere.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(PartnerSettlementTest, BadPeriodsAreRefusedNamingTheField) {
  PointsReader reader(*pool_, clock_);
  const absl::Time now = clock_.Now();
  auto reversed = reader.Settlement(program_, now, now - absl::Hours(1));
  EXPECT_EQ(reversed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(reversed.status().ToString().find("end_time"), std::string::npos);
  EXPECT_EQ(reader.Settlement(program_, std::nullopt, now).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::cards
