#include "libs/common/periodic.h"

#include <condition_variable>
#include <mutex>

namespace loyalty {

void RunPeriodically(std::stop_token stop, absl::Duration interval,
                     const std::function<void()>& job) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    job();
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, absl::ToChronoMilliseconds(interval), [] { return false; });
  }
}

}  // namespace loyalty
