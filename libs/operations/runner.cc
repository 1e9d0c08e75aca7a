#include "libs/operations/runner.h"

#include "libs/common/log.h"
#include "libs/common/periodic.h"
#include "libs/operations/metrics.h"

namespace loyalty::operations {

void OperationRunner::Register(std::string kind, OperationHandler& handler) {
  kinds_.push_back(kind);
  handlers_[std::move(kind)] = &handler;
}

absl::StatusOr<bool> OperationRunner::RunOnce() {
  absl::StatusOr<std::optional<ChunkOutcome>> outcome = store_.ProcessNextChunk(
      kinds_, options_.chunk_size, [this](const OperationRun& run, const PendingItem& item) {
        return handlers_.at(run.kind)->Apply(run, item);
      });
  if (!outcome.ok()) return outcome.status();
  if (!outcome->has_value()) return false;
  const ChunkOutcome& chunk = **outcome;
  const Operation& operation = chunk.operation;
  if (chunk.started) metrics_.Started(operation.kind);
  metrics_.ItemsProcessed(operation.kind, chunk.succeeded, chunk.failed);
  if (IsFinal(operation.state)) {
    metrics_.Finished(operation.kind, operation.state);
    log::Info("operation finished", {{"operation_id", operation.id},
                                     {"kind", operation.kind},
                                     {"state", std::string(StateName(operation.state))},
                                     {"succeeded", operation.succeeded},
                                     {"failed", operation.failed},
                                     {"error", operation.error}});
  }
  return true;
}

void OperationRunner::Run(std::stop_token stop) {
  RunPeriodically(stop, options_.poll_interval, [this, &stop] {
    while (!stop.stop_requested()) {
      absl::StatusOr<bool> worked = RunOnce();
      if (!worked.ok()) {
        log::Warn("operation chunk failed, retried next round",
                  {{"error", std::string(worked.status().message())}});
        return;
      }
      if (!*worked) return;
    }
  });
}

}  // namespace loyalty::operations
