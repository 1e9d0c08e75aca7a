#include "services/cards/api/level_metrics.h"

#include <string>

#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace loyalty::cards {
namespace {

prometheus::Counter& Single(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

LevelMetrics::LevelMetrics(prometheus::Registry& registry)
    : consumed_(prometheus::BuildCounter()
                    .Name("loyalty_events_consumed_total")
                    .Help("Stream entries handled by this service's consumers, by outcome.")
                    .Register(registry)),
      changes_(prometheus::BuildCounter()
                   .Name("loyalty_card_level_changes_total")
                   .Help("Cards moved to another level, by direction.")
                   .Register(registry)),
      up_(changes_.Add({{"direction", "up"}})),
      down_(changes_.Add({{"direction", "down"}})),
      renewed_(Single(registry, "loyalty_card_level_renewals_total",
                      "Expired level validity periods renewed because the card still qualified.")),
      bonuses_(Single(registry, "loyalty_level_bonuses_granted_total",
                      "Level bonuses accrued through the ledger.")) {}

void LevelMetrics::EventConsumed(absl::string_view stream, absl::string_view outcome) {
  consumed_.Add({{"stream", std::string(stream)}, {"outcome", std::string(outcome)}}).Increment();
}

void LevelMetrics::LevelChanged(bool up, int64_t count) {
  (up ? up_ : down_).Increment(static_cast<double>(count));
}

void LevelMetrics::Renewed(int64_t count) { renewed_.Increment(static_cast<double>(count)); }

void LevelMetrics::BonusesGranted(int64_t count) { bonuses_.Increment(static_cast<double>(count)); }

}  // namespace loyalty::cards
