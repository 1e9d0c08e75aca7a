#pragma once

// What the load generators under tools/bench share: set-up through the real
// APIs (a program, seeded cards), running work on a few threads, and the
// figures they print (latency percentiles, the client's own CPU time).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace loyalty::bench {

inline constexpr absl::Duration kCallDeadline = absl::Seconds(10);

// A deadline of kCallDeadline and the call context of `role` in the program,
// as the gateway would write it for a credential of that role.
void PrepareCall(grpc::ClientContext& context, const std::string& program_id,
                 const std::string& role = "ROLE_ADMIN", const std::string& store_id = "");

// A new program named `label` and the time, in UTC.
absl::StatusOr<std::string> CreateProgram(const std::string& identity_address,
                                          const std::string& label);

// Registers client number `index` (phone +7900<1000000 + index>), issues its
// card and accrues `points` to it; returns the card number.
absl::StatusOr<std::string> NewSeededCard(const std::string& identity_address,
                                          const std::string& cards_address,
                                          const std::string& program_id, int index,
                                          int64_t points);

// Runs `task(i)` for i in [0, count) on `threads` threads; the first error.
absl::Status ForEachInParallel(int count, int threads,
                               const std::function<absl::Status(int)>& task);

// After seeding, a driving script may analyze the fresh tables (as pgbench
// -i does its own): prints SEEDED and waits up to two minutes for the file
// `marker`. Nothing to do when `marker` is empty.
absl::Status AwaitSeededMarker(const std::string& marker);

// User and system time of this process so far, all threads.
double ProcessCpuSeconds();

// Nearest-rank percentile (`fraction` in [0, 1]) of ascending microseconds,
// in milliseconds; 0 for none.
double PercentileMs(const std::vector<int64_t>& sorted_us, double fraction);

// Latencies of one step (e.g. "calculate") of a measured phase.
struct LatencySummary {
  int64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Sorts `latencies_us` and summarizes it.
LatencySummary Summarize(std::vector<int64_t>& latencies_us);

}  // namespace loyalty::bench
