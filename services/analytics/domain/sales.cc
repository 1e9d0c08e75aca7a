#include "services/analytics/domain/sales.h"

#include "absl/strings/ascii.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::analytics {

absl::StatusOr<SummaryQuery> MakeSummaryQuery(std::optional<absl::Time> start,
                                              std::optional<absl::Time> end,
                                              const std::string& store_id, absl::Time now) {
  SummaryQuery query;
  query.start = start;
  if (end) {
    if (start && *end < *start) return InvalidField("end_time", "must not precede start_time");
    query.end = *end;
  } else {
    query.end = start && *start > now ? *start : now;
  }
  if (!store_id.empty()) {
    if (!IsUuid(store_id)) return InvalidField("store_id", "not a UUID");
    query.store_id = absl::AsciiStrToLower(store_id);
  }
  return query;
}

}  // namespace loyalty::analytics
