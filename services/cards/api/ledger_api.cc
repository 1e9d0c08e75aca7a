#include "services/cards/api/ledger_api.h"

#include <vector>

#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "services/cards/api/convert.h"

namespace loyalty::cards {

grpc::Status LedgerApi::HoldPoints(grpc::ServerContext* context,
                                   const v1::HoldPointsRequest* request, v1::Hold* response) {
  return rpc::HandleProgramCall(
      context, "HoldPoints", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Hold hold, ledger_.HoldPoints(call.program_id, FromProto(*request)));
        ToProto(hold, *response);
        return absl::OkStatus();
      });
}

grpc::Status LedgerApi::VoidHold(grpc::ServerContext* context, const v1::VoidHoldRequest* request,
                                 v1::Hold* response) {
  return rpc::HandleProgramCall(
      context, "VoidHold", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Hold hold, ledger_.VoidHold(call.program_id, request->hold_id()));
        ToProto(hold, *response);
        return absl::OkStatus();
      });
}

grpc::Status LedgerApi::CommitTransfers(grpc::ServerContext* context,
                                        const v1::CommitTransfersRequest* request,
                                        v1::CommitTransfersResponse* response) {
  return rpc::HandleProgramCall(
      context, "CommitTransfers", [&](const rpc::CallContext& call) -> absl::Status {
        std::vector<TransferSpec> transfers;
        transfers.reserve(static_cast<size_t>(request->transfers_size()));
        for (const v1::TransferSpec& spec : request->transfers()) {
          transfers.push_back(FromProto(spec));
          transfers.back().actor = call.principal_id;
        }
        ASSIGN_OR_RETURN(CommitResult result, ledger_.CommitTransfers(call.program_id, transfers));
        metrics_.RecordCommitted(transfers, result.results);
        for (const TransferResult& transfer : result.results) {
          ToProto(transfer, *response->add_results());
        }
        ToProto(result.balance, *response->mutable_balance());
        return absl::OkStatus();
      });
}

grpc::Status LedgerApi::GetBalance(grpc::ServerContext* context,
                                   const v1::GetBalanceRequest* request, v1::Balance* response) {
  return rpc::HandleProgramCall(
      context, "GetBalance", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(absl::Duration window,
                         ExpiringWindowFromDays(request->expiring_within_days(),
                                                "expiring_within_days"));
        ASSIGN_OR_RETURN(Balance balance,
                         ledger_.GetBalance(call.program_id, request->card_number(), window));
        ToProto(balance, *response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
