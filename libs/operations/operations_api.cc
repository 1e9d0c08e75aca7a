#include "libs/operations/operations_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"

namespace loyalty::operations {
namespace {

v1::OperationState ToProto(OperationState state) {
  switch (state) {
    case OperationState::kPending:
      return v1::OPERATION_STATE_PENDING;
    case OperationState::kRunning:
      return v1::OPERATION_STATE_RUNNING;
    case OperationState::kSucceeded:
      return v1::OPERATION_STATE_SUCCEEDED;
    case OperationState::kFailed:
      return v1::OPERATION_STATE_FAILED;
    case OperationState::kCancelled:
      return v1::OPERATION_STATE_CANCELLED;
  }
  return v1::OPERATION_STATE_UNSPECIFIED;
}

// Ids of this service only; anything else is simply not found (the gateway
// routes by the prefix, a direct gRPC caller may not).
absl::Status CheckId(const OperationStore& store, const std::string& id) {
  if (id.empty()) return InvalidField("id", "required");
  if (OwnerOfOperationId(id) != store.owner()) {
    return FieldError(absl::StatusCode::kNotFound, "id", "no such operation");
  }
  return absl::OkStatus();
}

}  // namespace

void ToProto(const Operation& operation, v1::Operation& out) {
  out.set_id(operation.id);
  out.set_kind(operation.kind);
  out.set_state(ToProto(operation.state));
  out.set_done(IsFinal(operation.state));
  out.set_total_items(operation.total);
  out.set_processed_items(operation.processed);
  out.set_succeeded_items(operation.succeeded);
  out.set_failed_items(operation.failed);
  rpc::SetTimestamp(operation.create_time, out.mutable_create_time());
  rpc::SetTimestamp(operation.update_time, out.mutable_update_time());
  if (operation.finish_time) rpc::SetTimestamp(*operation.finish_time, out.mutable_finish_time());
  out.set_error_message(operation.error);
  out.set_created_by(operation.created_by);
  out.set_request_id(operation.request_id);
}

grpc::Status OperationsApi::GetOperation(grpc::ServerContext* context,
                                         const v1::GetOperationRequest* request,
                                         v1::Operation* response) {
  return rpc::HandleProgramCall(
      context, "GetOperation", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckId(store_, request->id()));
        ASSIGN_OR_RETURN(Operation operation, store_.Get(call.program_id, request->id()));
        return Describe(call.program_id, operation, *response);
      });
}

grpc::Status OperationsApi::ListOperationItems(grpc::ServerContext* context,
                                               const v1::ListOperationItemsRequest* request,
                                               v1::ListOperationItemsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListOperationItems", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckId(store_, request->id()));
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(ItemPage page,
                         store_.ListItems(call.program_id, request->id(), request->failed_only(),
                                          page_size, request->page_token()));
        for (const ItemResult& item : page.items) {
          v1::OperationItem& out = *response->add_items();
          out.set_sequence(item.sequence);
          out.set_key(item.key);
          out.set_code(static_cast<int32_t>(item.code));
          out.set_message(item.message);
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status OperationsApi::CancelOperation(grpc::ServerContext* context,
                                            const v1::CancelOperationRequest* request,
                                            v1::Operation* response) {
  return rpc::HandleProgramCall(
      context, "CancelOperation", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckId(store_, request->id()));
        bool cancelled = false;
        ASSIGN_OR_RETURN(Operation operation,
                         store_.Cancel(call.program_id, request->id(), &cancelled));
        if (cancelled) metrics_.Finished(operation.kind, operation.state);
        return Describe(call.program_id, operation, *response);
      });
}

absl::Status OperationsApi::Describe(absl::string_view program_id, const Operation& operation,
                                     v1::Operation& out) {
  ToProto(operation, out);
  if (files_ == nullptr || operation.state != OperationState::kSucceeded) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<ResultFile> file, files_->Find(program_id, operation.id));
  if (file) {
    v1::ResultFile& described = *out.mutable_result_file();
    described.set_file_name(file->name);
    described.set_content_type(file->content_type);
    described.set_size_bytes(file->size);
    if (file->expire_time) rpc::SetTimestamp(*file->expire_time, described.mutable_expire_time());
    described.set_expired(file->expired);
  }
  return absl::OkStatus();
}

grpc::Status OperationsApi::DownloadOperationFile(grpc::ServerContext* context,
                                                  const v1::DownloadOperationFileRequest* request,
                                                  v1::FileContent* response) {
  return rpc::HandleProgramCall(
      context, "DownloadOperationFile", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckId(store_, request->id()));
        ASSIGN_OR_RETURN(Operation operation, store_.Get(call.program_id, request->id()));
        if (operation.state != OperationState::kSucceeded) {
          return FieldError(
              absl::StatusCode::kFailedPrecondition, "id",
              absl::StrCat("operation is ", StateName(operation.state),
                           IsFinal(operation.state)
                               ? ": it has no file to download"
                               : ": the file can be downloaded once it has SUCCEEDED"));
        }
        if (files_ == nullptr) {
          return FieldError(absl::StatusCode::kNotFound, "id", "no result file");
        }
        ASSIGN_OR_RETURN(FileContent content, files_->Read(call.program_id, operation.id));
        response->set_content_type(content.file.content_type);
        response->set_file_name(content.file.name);
        response->set_data(std::move(content.data));
        return absl::OkStatus();
      });
}

}  // namespace loyalty::operations
