// Prints how long evaluating one receipt takes: 20 active campaigns of
// mixed kinds, receipts of 30 lines. Not a test; run it by hand:
//   build/dev/libs/promotions/promotions_benchmark [iterations]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/promotions/engine.h"

namespace loyalty::promotions {
namespace {

std::vector<Campaign> Campaigns() {
  std::vector<Campaign> campaigns;
  for (int c = 0; c < 20; ++c) {
    Campaign campaign;
    campaign.campaign_id = absl::StrCat("campaign-", c);
    campaign.name = campaign.campaign_id;
    campaign.state = CampaignState::kActive;
    campaign.priority = c % 7;
    campaign.stacking = c % 10 == 0 ? Stacking::kExclusive : Stacking::kCombinable;
    if (c % 4 == 0) campaign.audience.store_ids = {"store-1", "store-2", "store-9"};
    if (c % 5 == 0) campaign.audience.levels = {"gold", "silver"};
    campaign.schedule.hours = {{.start_minute = 8 * 60, .end_minute = 22 * 60}};
    for (int r = 0; r < 3; ++r) {
      Rule rule;
      rule.rule_id = absl::StrCat("rule-", r);
      LineSelector selector;
      for (int s = 0; s < 20; ++s)
        selector.skus.push_back(absl::StrCat("sku-", (c * 7 + r * 3 + s) % 200));
      selector.categories = {absl::StrCat("category-", (c + r) % 12)};
      rule.conditions.push_back(LinesCondition{.lines = selector, .min_quantity_milli = 1000});
      rule.conditions.push_back(ReceiptSumCondition{.min_amount = 100 * (c + 1)});
      switch ((c + r) % 3) {
        case 0:
          rule.effects.push_back(
              DiscountEffect{.target = Target::kLines, .percent_bp = 500 + 100 * r});
          break;
        case 1:
          rule.effects.push_back(PointsEffect{.target = Target::kReceipt, .multiplier = 2});
          break;
        default:
          rule.effects.push_back(DiscountEffect{.target = Target::kReceipt, .fixed_amount = 1000});
          rule.effects.push_back(PointsEffect{.target = Target::kLines, .percent_bp = 300});
      }
      campaign.rules.push_back(std::move(rule));
    }
    campaigns.push_back(std::move(campaign));
  }
  return campaigns;
}

ReceiptContext Receipt(int seed) {
  ReceiptContext receipt;
  receipt.store_id = "store-1";
  receipt.partner_id = "partner-1";
  receipt.channel = "till";
  receipt.time = absl::FromUnixSeconds(1'795'000'000);  // 2026-11-18 11:06 UTC
  receipt.base_accrual_rate_bp = 500;
  receipt.member = MemberFacts{.level = "gold", .tags = {"vip"}};
  for (int i = 0; i < 30; ++i) {
    int n = (seed * 31 + i * 17) % 200;
    receipt.lines.push_back({.sku = absl::StrCat("sku-", n),
                             .category = absl::StrCat("category-", n % 12),
                             .quantity_milli = 1000 * (1 + i % 3),
                             .price = 1990 + 10 * n,
                             .amount = (1990 + 10 * n) * (1 + i % 3)});
  }
  return receipt;
}

int Run(int iterations) {
  absl::StatusOr<Snapshot> snapshot = Snapshot::Compile(Campaigns(), absl::UTCTimeZone());
  if (!snapshot.ok()) {
    std::fprintf(stderr, "%s\n", snapshot.status().ToString().c_str());
    return 1;
  }
  std::vector<ReceiptContext> receipts;
  for (int i = 0; i < 64; ++i) receipts.push_back(Receipt(i));
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(iterations));
  size_t applied = 0;
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<Outcome> outcome = Evaluate(*snapshot, receipts[static_cast<size_t>(i) % 64]);
    auto end = std::chrono::steady_clock::now();
    if (!outcome.ok()) return 1;
    applied += outcome->explanations.size();
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(micros.begin(), micros.end());
  double sum = 0;
  for (double m : micros) sum += m;
  auto at = [&](double q) { return micros[static_cast<size_t>(q * (micros.size() - 1))]; };
  std::printf(
      "promotions: 20 campaigns x 30 lines, %d evaluations, %.1f rules applied per receipt\n"
      "  mean %.1f us  p50 %.1f us  p99 %.1f us  max %.1f us\n",
      iterations, static_cast<double>(applied) / iterations, sum / iterations, at(0.5), at(0.99),
      micros.back());
  return 0;
}

}  // namespace
}  // namespace loyalty::promotions

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
  return loyalty::promotions::Run(std::max(iterations, 1));
}
