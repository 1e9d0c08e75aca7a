#pragma once

// The background runner of a service's operations: claims PENDING and
// RUNNING operations of the kinds it has handlers for, chunk by chunk (see
// OperationStore::ProcessNextChunk), so that several replicas share the
// work and an operation left by a crashed process is resumed.

#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/operations/operation_store.h"

namespace loyalty::operations {

class OperationMetrics;

// What one kind of operation does to each item.
class OperationHandler {
 public:
  virtual ~OperationHandler() = default;
  // Applies the operation to one item (see ItemOutcome; OutcomeOf for
  // the answer of a single-item call). May run again for an item whose
  // chunk did not commit (a crash, a retry), so the effect must be
  // idempotent: key it by run.operation_id and item.sequence.
  virtual ItemOutcome Apply(const OperationRun& run, const PendingItem& item) = 0;
};

struct RunnerOptions {
  int chunk_size = 100;
  // Wait between rounds when there is nothing to do.
  absl::Duration poll_interval = absl::Seconds(1);
};

class OperationRunner final {
 public:
  OperationRunner(OperationStore& store, OperationMetrics& metrics, RunnerOptions options)
      : store_(store), metrics_(metrics), options_(options) {}

  // Before Run; `handler` must outlive the runner.
  void Register(std::string kind, OperationHandler& handler);

  // One chunk of one operation; false when there was nothing to claim.
  absl::StatusOr<bool> RunOnce();

  // Rounds every poll interval, each working until nothing is left to
  // claim, until stop is requested.
  void Run(std::stop_token stop);

 private:
  OperationStore& store_;
  OperationMetrics& metrics_;
  const RunnerOptions options_;
  std::map<std::string, OperationHandler*> handlers_;
  std::vector<std::string> kinds_;
};

}  // namespace loyalty::operations
