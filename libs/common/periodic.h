#pragma once

// Runs a job every `interval` until stop is requested, for the background
// tasks of a service (sweeps, recoveries, recalculations). The wait wakes
// up promptly on stop, so shutdown is not held up by a long interval.

#include <functional>
#include <stop_token>

#include "absl/time/time.h"

namespace loyalty {

// Runs `job` at once, then again `interval` after each run ends.
void RunPeriodically(std::stop_token stop, absl::Duration interval,
                     const std::function<void()>& job);

}  // namespace loyalty
