#include "libs/common/periodic.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace loyalty {
namespace {

TEST(RunPeriodicallyTest, RunsAtOnceAndRepeatsUntilStopped) {
  std::atomic<int> runs = 0;
  std::jthread worker([&](std::stop_token stop) {
    RunPeriodically(stop, absl::Milliseconds(1), [&] { ++runs; });
  });
  while (runs < 3) std::this_thread::yield();
  worker.request_stop();
  worker.join();
  const int after_stop = runs;
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(runs, after_stop);
}

TEST(RunPeriodicallyTest, StopInterruptsALongWait) {
  std::atomic<int> runs = 0;
  const absl::Time start = absl::Now();
  {
    std::jthread worker([&](std::stop_token stop) {
      RunPeriodically(stop, absl::Hours(1), [&] { ++runs; });
    });
    while (runs < 1) std::this_thread::yield();
  }  // jthread's destructor requests stop and joins
  EXPECT_EQ(runs, 1);
  EXPECT_LT(absl::Now() - start, absl::Minutes(1));
}

}  // namespace
}  // namespace loyalty
