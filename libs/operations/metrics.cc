#include "libs/operations/metrics.h"

#include <string>

#include "absl/strings/ascii.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace loyalty::operations {

OperationMetrics::OperationMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("loyalty_operations_started_total")
                   .Help("Operations whose first chunk was processed, by kind.")
                   .Register(registry)),
      finished_(prometheus::BuildCounter()
                    .Name("loyalty_operations_finished_total")
                    .Help("Operations that ended, by kind and final state.")
                    .Register(registry)),
      items_(prometheus::BuildCounter()
                 .Name("loyalty_operation_items_total")
                 .Help("Operation items processed, by kind and result (ok, error).")
                 .Register(registry)),
      files_expired_(prometheus::BuildCounter()
                         .Name("loyalty_operation_files_expired_total")
                         .Help("Result files whose content was removed after the retention.")
                         .Register(registry)
                         .Add({})) {}

void OperationMetrics::Started(absl::string_view kind) {
  started_.Add({{"kind", std::string(kind)}}).Increment();
}

void OperationMetrics::Finished(absl::string_view kind, OperationState state) {
  finished_.Add({{"kind", std::string(kind)}, {"state", absl::AsciiStrToLower(StateName(state))}})
      .Increment();
}

void OperationMetrics::ItemsProcessed(absl::string_view kind, int64_t succeeded, int64_t failed) {
  if (succeeded > 0) {
    items_.Add({{"kind", std::string(kind)}, {"result", "ok"}})
        .Increment(static_cast<double>(succeeded));
  }
  if (failed > 0) {
    items_.Add({{"kind", std::string(kind)}, {"result", "error"}})
        .Increment(static_cast<double>(failed));
  }
}

void OperationMetrics::FilesExpired(int64_t count) {
  if (count > 0) files_expired_.Increment(static_cast<double>(count));
}

}  // namespace loyalty::operations
