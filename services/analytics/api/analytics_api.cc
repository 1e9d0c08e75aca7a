#include "services/analytics/api/analytics_api.h"

#include <optional>

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"

namespace loyalty::analytics {
namespace {

// Bounds of google.protobuf.Timestamp (and well within PostgreSQL's).
constexpr int64_t kMinSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z

absl::StatusOr<std::optional<absl::Time>> OptionalTime(
    bool has, const google::protobuf::Timestamp& timestamp, absl::string_view field) {
  if (!has) return std::optional<absl::Time>();
  if (timestamp.seconds() < kMinSeconds || timestamp.seconds() > kMaxSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999'999'999) {
    return InvalidField(field, "not a valid timestamp");
  }
  return std::optional<absl::Time>(absl::FromUnixSeconds(timestamp.seconds()) +
                                   absl::Nanoseconds(timestamp.nanos()));
}

}  // namespace

grpc::Status AnalyticsApi::GetSalesSummary(grpc::ServerContext* context,
                                           const v1::GetSalesSummaryRequest* request,
                                           v1::SalesSummary* response) {
  return rpc::HandleProgramCall(
      context, "GetSalesSummary", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<absl::Time> start,
                         OptionalTime(request->has_start_time(), request->start_time(),
                                      "start_time"));
        ASSIGN_OR_RETURN(std::optional<absl::Time> end,
                         OptionalTime(request->has_end_time(), request->end_time(), "end_time"));
        ASSIGN_OR_RETURN(SummaryQuery query,
                         MakeSummaryQuery(start, end, request->store_id(), now_()));
        ASSIGN_OR_RETURN(SalesSummary summary, store_.GetSalesSummary(call.program_id, query));
        response->set_receipts(summary.receipts);
        response->set_revenue(summary.revenue);
        response->set_refunded(summary.refunded);
        response->set_points_earned(summary.points_earned);
        response->set_points_spent(summary.points_spent);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::analytics
