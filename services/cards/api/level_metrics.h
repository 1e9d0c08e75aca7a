#pragma once

// Counters of level work, declared once. No ids as labels.

#include <cstdint>

#include "absl/strings/string_view.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace loyalty::cards {

class LevelMetrics final {
 public:
  explicit LevelMetrics(prometheus::Registry& registry);

  // loyalty_events_consumed_total{stream, outcome}: applied, duplicate,
  // ignored, malformed.
  void EventConsumed(absl::string_view stream, absl::string_view outcome);
  // loyalty_card_level_changes_total{direction}: up or down.
  void LevelChanged(bool up, int64_t count = 1);
  // loyalty_card_level_renewals_total.
  void Renewed(int64_t count);
  // loyalty_level_bonuses_granted_total.
  void BonusesGranted(int64_t count);

 private:
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& changes_;
  prometheus::Counter& up_;
  prometheus::Counter& down_;
  prometheus::Counter& renewed_;
  prometheus::Counter& bonuses_;
};

}  // namespace loyalty::cards
