#pragma once

// Counters of operations, declared once. Labelled by kind and result only,
// never by operation or program id.

#include <cstdint>

#include "absl/strings/string_view.h"
#include "libs/operations/operation.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace loyalty::operations {

class OperationMetrics final {
 public:
  explicit OperationMetrics(prometheus::Registry& registry);

  // loyalty_operations_started_total{kind}: first chunk taken.
  void Started(absl::string_view kind);
  // loyalty_operations_finished_total{kind, state}: succeeded, failed,
  // cancelled.
  void Finished(absl::string_view kind, OperationState state);
  // loyalty_operation_items_total{kind, result}: ok, error.
  void ItemsProcessed(absl::string_view kind, int64_t succeeded, int64_t failed);
  // loyalty_operation_files_expired_total: result files whose content was
  // removed after the retention.
  void FilesExpired(int64_t count);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Family<prometheus::Counter>& items_;
  prometheus::Counter& files_expired_;
};

}  // namespace loyalty::operations
