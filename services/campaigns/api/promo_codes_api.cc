#include "services/campaigns/api/promo_codes_api.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/campaigns/api/promo_code_convert.h"

namespace loyalty::campaigns {
namespace {

constexpr size_t kMaxKeyBytes = 128;

// Idempotency keys, client ids and receipt references: at most 128 bytes,
// and present when `required`.
absl::Status CheckKey(const std::string& value, absl::string_view field, bool required) {
  if (required && value.empty()) return InvalidField(field, "is required");
  if (value.size() > kMaxKeyBytes) return InvalidField(field, "longer than 128 bytes");
  return absl::OkStatus();
}

}  // namespace

grpc::Status PromoCodesApi::CreatePromoCodePool(grpc::ServerContext* context,
                                                const v1::CreatePromoCodePoolRequest* request,
                                                v1::PromoCodePool* response) {
  return rpc::HandleProgramCall(
      context, "CreatePromoCodePool", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckKey(request->request_id(), "request_id", false));
        if (!request->has_pool()) return InvalidField("pool", "is required");
        ASSIGN_OR_RETURN(PromoCodePool pool, PoolFromProto(request->pool(), "pool."));
        RETURN_IF_ERROR(PrepareNewPool(pool, "pool."));
        ASSIGN_OR_RETURN(PromoCodePool created,
                         store_.CreatePool(call.program_id, pool, request->request_id()));
        PoolToProto(created, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::GetPromoCodePool(grpc::ServerContext* context,
                                             const v1::GetPromoCodePoolRequest* request,
                                             v1::PromoCodePool* response) {
  return rpc::HandleProgramCall(
      context, "GetPromoCodePool", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(PromoCodePool pool, store_.GetPool(call.program_id, request->pool_id()));
        PoolToProto(pool, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ListPromoCodePools(grpc::ServerContext* context,
                                               const v1::ListPromoCodePoolsRequest* request,
                                               v1::ListPromoCodePoolsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListPromoCodePools", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(PoolPage page,
                         store_.ListPools(call.program_id, page_size, request->page_token()));
        for (const PromoCodePool& pool : page.pools) PoolToProto(pool, response->add_pools());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ArchivePromoCodePool(grpc::ServerContext* context,
                                                 const v1::ArchivePromoCodePoolRequest* request,
                                                 v1::PromoCodePool* response) {
  return rpc::HandleProgramCall(
      context, "ArchivePromoCodePool", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(PromoCodePool pool,
                         store_.ArchivePool(call.program_id, request->pool_id()));
        PoolToProto(pool, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::GenerateCodes(grpc::ServerContext* context,
                                          const v1::GenerateCodesRequest* request,
                                          v1::GenerateCodesResponse* response) {
  return rpc::HandleProgramCall(
      context, "GenerateCodes", [&](const rpc::CallContext& call) -> absl::Status {
        // Required: without it a retry after a lost response would double
        // the pool, which nobody can undo.
        RETURN_IF_ERROR(CheckKey(request->request_id(), "request_id", true));
        GenerateSpec spec{request->count(), request->length(), request->prefix()};
        RETURN_IF_ERROR(PrepareGenerateSpec(spec));
        ASSIGN_OR_RETURN(
            GenerateResult result,
            store_.GenerateCodes(call.program_id, request->pool_id(), spec, request->request_id()));
        response->set_generated(result.generated);
        response->set_code_count(result.code_count);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ImportCodes(grpc::ServerContext* context,
                                        const v1::ImportCodesRequest* request,
                                        v1::ImportCodesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ImportCodes", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckKey(request->request_id(), "request_id", false));
        if (request->codes_size() < 1 || request->codes_size() > kMaxImportCount) {
          return InvalidField("codes", absl::StrCat("must hold 1..", kMaxImportCount, " codes"));
        }
        std::vector<std::string> codes(request->codes().begin(), request->codes().end());
        ASSIGN_OR_RETURN(
            ImportResult result,
            store_.ImportCodes(call.program_id, request->pool_id(), codes, request->request_id()));
        response->set_imported(result.imported);
        response->set_code_count(result.code_count);
        for (const ImportError& error : result.errors) {
          v1::ImportCodeError* out = response->add_errors();
          out->set_index(error.index);
          out->set_code(error.code);
          out->set_reason(error.reason);
        }
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ListCodes(grpc::ServerContext* context,
                                      const v1::ListCodesRequest* request,
                                      v1::ListCodesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCodes", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(CodePage page, store_.ListCodes(call.program_id, request->pool_id(),
                                                         page_size, request->page_token()));
        for (const PromoCodeUsage& code : page.codes) CodeToProto(code, response->add_codes());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::GetCode(grpc::ServerContext* context, const v1::GetCodeRequest* request,
                                    v1::PromoCode* response) {
  return rpc::HandleProgramCall(
      context, "GetCode", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string code, NormaliseCode(request->code(), "code"));
        ASSIGN_OR_RETURN(PromoCodeUsage usage, store_.GetCode(call.program_id, code));
        CodeToProto(usage, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ReservePromoCode(grpc::ServerContext* context,
                                             const v1::ReservePromoCodeRequest* request,
                                             v1::PromoCodeReservation* response) {
  return rpc::HandleProgramCall(
      context, "ReservePromoCode", [&](const rpc::CallContext& call) -> absl::Status {
        ReserveRequest reserve;
        ASSIGN_OR_RETURN(reserve.code, NormaliseCode(request->code(), "code"));
        RETURN_IF_ERROR(CheckKey(request->reservation_id(), "reservation_id", true));
        RETURN_IF_ERROR(CheckKey(request->client_id(), "client_id", false));
        RETURN_IF_ERROR(CheckKey(request->receipt_reference(), "receipt_reference", false));
        reserve.reservation_id = request->reservation_id();
        reserve.client_id = request->client_id();
        reserve.receipt_reference = request->receipt_reference();
        ASSIGN_OR_RETURN(Reservation reservation, store_.Reserve(call.program_id, reserve));
        ReservationToProto(reservation, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ConsumeReservation(grpc::ServerContext* context,
                                               const v1::ConsumeReservationRequest* request,
                                               v1::PromoCodeReservation* response) {
  return rpc::HandleProgramCall(
      context, "ConsumeReservation", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckKey(request->reservation_id(), "reservation_id", true));
        ASSIGN_OR_RETURN(Reservation reservation,
                         store_.Consume(call.program_id, request->reservation_id()));
        ReservationToProto(reservation, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::ReleaseReservation(grpc::ServerContext* context,
                                               const v1::ReleaseReservationRequest* request,
                                               v1::PromoCodeReservation* response) {
  return rpc::HandleProgramCall(
      context, "ReleaseReservation", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckKey(request->reservation_id(), "reservation_id", true));
        ASSIGN_OR_RETURN(Reservation reservation,
                         store_.Release(call.program_id, request->reservation_id()));
        ReservationToProto(reservation, response);
        return absl::OkStatus();
      });
}

grpc::Status PromoCodesApi::IssuePromoCode(grpc::ServerContext* context,
                                           const v1::IssuePromoCodeRequest* request,
                                           v1::IssuedPromoCode* response) {
  return rpc::HandleProgramCall(
      context, "IssuePromoCode", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckKey(request->issue_id(), "issue_id", true));
        RETURN_IF_ERROR(CheckKey(request->client_id(), "client_id", true));
        IssueRequest issue;
        issue.pool_id = request->pool_id();
        issue.client_id = request->client_id();
        issue.issue_id = request->issue_id();
        ASSIGN_OR_RETURN(IssuedCode issued, store_.Issue(call.program_id, issue));
        IssuedCodeToProto(issued, response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::campaigns
