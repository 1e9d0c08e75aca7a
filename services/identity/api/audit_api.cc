#include "services/identity/api/audit_api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"

namespace loyalty::identity {
namespace {

// Longer than any action, object type or principal id the service writes.
constexpr size_t kMaxFilterLength = 128;

v1::ActorKind KindToProto(ActorKind kind) {
  switch (kind) {
    case ActorKind::kOperator:
      return v1::ACTOR_KIND_OPERATOR;
    case ActorKind::kApiKey:
      return v1::ACTOR_KIND_API_KEY;
    case ActorKind::kClient:
      return v1::ACTOR_KIND_CLIENT;
    case ActorKind::kSystem:
      return v1::ACTOR_KIND_SYSTEM;
  }
  return v1::ACTOR_KIND_UNSPECIFIED;
}

void ToProto(const AuditEntry& entry, v1::AuditEntry& out) {
  out.set_entry_id(absl::StrCat(entry.entry_id));
  rpc::SetTimestamp(entry.record_time, out.mutable_record_time());
  v1::AuditActor& actor = *out.mutable_actor();
  actor.set_kind(KindToProto(entry.actor.kind));
  actor.set_principal_id(entry.actor.principal_id);
  api::v1::Role role = api::v1::ROLE_UNSPECIFIED;
  if (api::v1::Role_Parse(entry.actor.role, &role)) actor.set_role(role);
  out.set_action(entry.action);
  out.set_object_type(entry.object_type);
  out.set_object_id(entry.object_id);
  out.set_client_id(entry.client_id);
  out.set_before(entry.before_json);
  out.set_after(entry.after_json);
  out.set_request_id(entry.actor.request_id);
  out.set_trace_id(entry.actor.trace_id);
}

absl::Status CheckFilterText(absl::string_view field, const std::string& value) {
  if (value.size() > kMaxFilterLength) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxFilterLength, " bytes"));
  }
  return absl::OkStatus();
}

// The time range of a request; an unset bound is open.
absl::Status ReadTimeRange(bool has_start, const google::protobuf::Timestamp& start, bool has_end,
                           const google::protobuf::Timestamp& end, AuditFilter& filter) {
  if (has_start) {
    ASSIGN_OR_RETURN(absl::Time time, rpc::TimeFromProto(start, "start_time"));
    filter.start_time = time;
  }
  if (has_end) {
    ASSIGN_OR_RETURN(absl::Time time, rpc::TimeFromProto(end, "end_time"));
    filter.end_time = time;
  }
  if (filter.start_time && filter.end_time && *filter.end_time <= *filter.start_time) {
    return InvalidField("end_time", "must be after start_time");
  }
  return absl::OkStatus();
}

absl::Status List(AuditStore& audit, const rpc::CallContext& call, const AuditFilter& filter,
                  int32_t requested_page_size, const std::string& page_token,
                  v1::ListAuditEntriesResponse& response) {
  ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(requested_page_size));
  ASSIGN_OR_RETURN(AuditPage page, audit.List(call.program_id, filter, page_size, page_token));
  for (const AuditEntry& entry : page.entries) ToProto(entry, *response.add_entries());
  response.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace

grpc::Status AuditApi::ListClientAuditEntries(grpc::ServerContext* context,
                                              const v1::ListClientAuditEntriesRequest* request,
                                              v1::ListAuditEntriesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListClientAuditEntries", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->client_id().empty()) return InvalidField("client_id", "required");
        if (!IsUuid(request->client_id())) return InvalidField("client_id", "must be a UUID");
        AuditFilter filter{.client_id = absl::AsciiStrToLower(request->client_id()),
                           .action = request->action()};
        RETURN_IF_ERROR(CheckFilterText("action", filter.action));
        RETURN_IF_ERROR(ReadTimeRange(request->has_start_time(), request->start_time(),
                                      request->has_end_time(), request->end_time(), filter));
        return List(audit_, call, filter, request->page_size(), request->page_token(), *response);
      });
}

grpc::Status AuditApi::ListAuditEntries(grpc::ServerContext* context,
                                        const v1::ListAuditEntriesRequest* request,
                                        v1::ListAuditEntriesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListAuditEntries", [&](const rpc::CallContext& call) -> absl::Status {
        // Ids are stored lower-case.
        AuditFilter filter{.actor_id = absl::AsciiStrToLower(request->actor_id()),
                           .action = request->action(),
                           .object_type = request->object_type()};
        RETURN_IF_ERROR(CheckFilterText("actor_id", filter.actor_id));
        RETURN_IF_ERROR(CheckFilterText("action", filter.action));
        RETURN_IF_ERROR(CheckFilterText("object_type", filter.object_type));
        RETURN_IF_ERROR(ReadTimeRange(request->has_start_time(), request->start_time(),
                                      request->has_end_time(), request->end_time(), filter));
        return List(audit_, call, filter, request->page_size(), request->page_token(), *response);
      });
}

}  // namespace loyalty::identity
