#include "services/cards/api/points_api.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/operations/operations_api.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/convert.h"
#include "services/cards/api/history_export.h"

namespace loyalty::cards {
namespace {

// An optional timestamp field, range-checked.
absl::StatusOr<std::optional<absl::Time>> OptionalTime(bool present,
                                                       const google::protobuf::Timestamp& time,
                                                       absl::string_view field) {
  if (!present) return std::optional<absl::Time>();
  ASSIGN_OR_RETURN(absl::Time value, rpc::TimeFromProto(time, field));
  return std::optional<absl::Time>(value);
}

}  // namespace

grpc::Status PointsApi::AdjustPoints(grpc::ServerContext* context,
                                     const v1::AdjustPointsRequest* request,
                                     v1::AdjustPointsResponse* response) {
  return rpc::HandleProgramCall(
      context, "AdjustPoints", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().empty()) return InvalidField("request_id", "required");
        if (request->amount() == 0) return InvalidField("amount", "must not be 0");
        // Bounded before negating: -INT64_MIN does not exist.
        if (request->amount() < -kMaxAmount || request->amount() > kMaxAmount) {
          return InvalidField("amount", absl::StrCat("at most ", kMaxAmount, " either way"));
        }
        if (request->amount() < 0 && (request->has_activate_time() || request->has_expire_time())) {
          return InvalidField(request->has_activate_time() ? "activate_time" : "expire_time",
                              "only when adding points");
        }
        TransferSpec spec{.transfer_id = request->request_id(),
                          .kind = request->amount() > 0 ? TransferKind::kCorrectionCredit
                                                        : TransferKind::kCorrectionDebit,
                          .card_number = request->card_number(),
                          .amount = request->amount() > 0 ? request->amount() : -request->amount(),
                          .reason = request->reason(),
                          .actor = call.principal_id};
        ASSIGN_OR_RETURN(
            spec.activate_time,
            OptionalTime(request->has_activate_time(), request->activate_time(), "activate_time"));
        ASSIGN_OR_RETURN(spec.expire_time, OptionalTime(request->has_expire_time(),
                                                        request->expire_time(), "expire_time"));
        absl::StatusOr<CommitResult> result = ledger_.Correct(call.program_id, spec);
        if (!result.ok()) return RenameViolatedField(result.status(), "transfer_id", "request_id");
        metrics_.RecordCommitted({&spec, 1}, result->results);
        ToProto(result->results.at(0), *response->mutable_result());
        ToProto(result->balance, *response->mutable_balance());
        return absl::OkStatus();
      });
}

grpc::Status PointsApi::MergeCards(grpc::ServerContext* context,
                                   const v1::MergeCardsRequest* request,
                                   v1::MergeCardsResponse* response) {
  return rpc::HandleProgramCall(
      context, "MergeCards", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            MergeResult merged,
            ledger_.MergeCards(call.program_id, request->source_number(), request->target_number(),
                               request->reason(), call.principal_id));
        ASSIGN_OR_RETURN(Balance balance,
                         ledger_.GetBalance(call.program_id, merged.target_number));
        response->set_target_number(merged.target_number);
        response->set_points(merged.points);
        response->set_lots(merged.lots);
        ToProto(balance, *response->mutable_balance());
        return absl::OkStatus();
      });
}

grpc::Status PointsApi::ListCardOperations(grpc::ServerContext* context,
                                           const v1::ListCardOperationsRequest* request,
                                           v1::ListCardOperationsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCardOperations", [&](const rpc::CallContext& call) -> absl::Status {
        OperationsQuery query{.page_token = request->page_token()};
        ASSIGN_OR_RETURN(query.page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(query.start_time, OptionalTime(request->has_start_time(),
                                                        request->start_time(), "start_time"));
        ASSIGN_OR_RETURN(query.end_time,
                         OptionalTime(request->has_end_time(), request->end_time(), "end_time"));
        ASSIGN_OR_RETURN(OperationsPage page,
                         reader_.ListOperations(call.program_id, request->card_number(), query));
        for (const CardOperation& operation : page.operations) {
          ToProto(operation, *response->add_operations());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status PointsApi::ExportCardOperations(grpc::ServerContext* context,
                                             const v1::ExportCardOperationsRequest* request,
                                             operations::v1::Operation* response) {
  return rpc::HandleProgramCall(
      context, "ExportCardOperations", [&](const rpc::CallContext& call) -> absl::Status {
        if (operations_ == nullptr) {
          return absl::FailedPreconditionError("exports are not enabled in this process");
        }
        ASSIGN_OR_RETURN(operations::NewOperation op,
                         HistoryExportOperation(*request, call.principal_id));
        // An unknown card is refused now rather than as a failed operation
        // later: the first row of the same query the export pages through.
        RETURN_IF_ERROR(reader_
                            .ListOperations(call.program_id, request->card_number(),
                                            OperationsQuery{.page_size = 1})
                            .status());
        ASSIGN_OR_RETURN(operations::Operation started, operations_->Create(call.program_id, op));
        operations::ToProto(started, *response);
        return absl::OkStatus();
      });
}

grpc::Status PointsApi::ListExpiringPoints(grpc::ServerContext* context,
                                           const v1::ListExpiringPointsRequest* request,
                                           v1::ListExpiringPointsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListExpiringPoints", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(absl::Duration within,
                         ExpiringWindowFromDays(request->within_days(), "within_days"));
        ASSIGN_OR_RETURN(ExpiringPage page, reader_.ListExpiring(call.program_id, within, page_size,
                                                                 request->page_token()));
        for (const ExpiringPoints& points : page.cards) ToProto(points, *response->add_cards());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status PointsApi::GetPartnerSettlement(grpc::ServerContext* context,
                                             const v1::GetPartnerSettlementRequest* request,
                                             v1::PartnerSettlement* response) {
  return rpc::HandleProgramCall(
      context, "GetPartnerSettlement", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            PartnerSettlement settlement,
            reader_.Settlement(call.program_id,
                               FromProto(request->has_start_time(), request->start_time()),
                               FromProto(request->has_end_time(), request->end_time())));
        ToProto(settlement, *response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
