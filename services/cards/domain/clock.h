#pragma once

// The source of "now" for the ledger: lot activation, lot expiry and hold
// expiry all depend on it, so tests replace it instead of sleeping.

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace loyalty::cards {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace loyalty::cards
