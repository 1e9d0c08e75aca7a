#include "services/identity/api/attributes_api.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/domain/api_key.h"
#include "services/identity/domain/free_text.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.size() > kMaxRequestIdLength) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
  }
  return absl::OkStatus();
}

void AttributeToProto(const Attribute& attribute, v1::Attribute& out) {
  const AttributeSpec& spec = attribute.spec;
  out.set_key(spec.key);
  out.set_display_name(spec.display_name);
  out.set_type(static_cast<v1::AttributeType>(spec.type));
  out.set_number_scale(spec.number_scale);
  for (const AllowedValue& allowed : spec.allowed_values) {
    v1::AllowedValue* value = out.add_allowed_values();
    value->set_key(allowed.key);
    value->set_label(allowed.label);
  }
  out.set_required_at_registration(spec.required_at_registration);
  out.set_editable_by(static_cast<v1::AttributeEditor>(spec.editable_by));
  out.set_kind(static_cast<v1::AttributeKind>(spec.kind));
  out.set_archived(attribute.archived);
  rpc::SetTimestamp(attribute.create_time, out.mutable_create_time());
  rpc::SetTimestamp(attribute.update_time, out.mutable_update_time());
}

AttributeSpec SpecFromProto(const v1::Attribute& attribute) {
  AttributeSpec spec{.key = attribute.key(),
                     .display_name = attribute.display_name(),
                     .type = static_cast<AttributeType>(attribute.type()),
                     .number_scale = attribute.number_scale(),
                     .required_at_registration = attribute.required_at_registration(),
                     .editable_by = static_cast<AttributeEditor>(attribute.editable_by()),
                     .kind = static_cast<AttributeKind>(attribute.kind())};
  for (const v1::AllowedValue& allowed : attribute.allowed_values()) {
    spec.allowed_values.push_back(AllowedValue{.key = allowed.key(), .label = allowed.label()});
  }
  return spec;
}

void ValuesToProto(absl::string_view client_id, const std::vector<AttributeValue>& values,
                   v1::ClientAttributes& out) {
  out.set_client_id(std::string(client_id));
  for (const AttributeValue& value : values) AttributeValueToProto(value, *out.add_values());
}

// The lower-cased UUID `id`, or INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> RequireUuid(absl::string_view field, absl::string_view id) {
  if (id.empty()) return InvalidField(field, "required");
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  return absl::AsciiStrToLower(id);
}

}  // namespace

AttributeWriter AttributeWriterOf(absl::string_view role) {
  return role == "ROLE_POS" || role == "ROLE_PARTNER" ? AttributeWriter::kClientChannel
                                                      : AttributeWriter::kOperator;
}

grpc::Status AttributesApi::CreateAttribute(grpc::ServerContext* context,
                                            const v1::CreateAttributeRequest* request,
                                            v1::Attribute* response) {
  return rpc::HandleProgramCall(
      context, "CreateAttribute", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckRequestId(request->request_id()));
        AttributeSpec spec = SpecFromProto(request->attribute());
        RETURN_IF_ERROR(NormalizeAttributeSpec(spec, "attribute."));
        ASSIGN_OR_RETURN(Attribute created,
                         attributes_.Create(call.program_id, spec, request->request_id(),
                                            AuditActorOf(call)));
        AttributeToProto(created, *response);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::GetAttribute(grpc::ServerContext* context,
                                         const v1::GetAttributeRequest* request,
                                         v1::Attribute* response) {
  return rpc::HandleProgramCall(
      context, "GetAttribute", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Attribute found, attributes_.Get(call.program_id, request->key()));
        AttributeToProto(found, *response);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::ListAttributes(grpc::ServerContext* context,
                                           const v1::ListAttributesRequest* request,
                                           v1::ListAttributesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListAttributes", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(AttributePage page,
                         attributes_.List(call.program_id, page_size, request->page_token()));
        for (const Attribute& attribute : page.attributes) {
          AttributeToProto(attribute, *response->add_attributes());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::UpdateAttribute(grpc::ServerContext* context,
                                            const v1::UpdateAttributeRequest* request,
                                            v1::Attribute* response) {
  return rpc::HandleProgramCall(
      context, "UpdateAttribute", [&](const rpc::CallContext& call) -> absl::Status {
        const std::vector<std::string> paths(request->update_mask().paths().begin(),
                                             request->update_mask().paths().end());
        const AttributeSpec input = SpecFromProto(request->attribute());
        ASSIGN_OR_RETURN(
            Attribute updated,
            attributes_.Update(call.program_id, request->attribute().key(),
                               [&](AttributeSpec& spec) -> absl::Status {
                                 RETURN_IF_ERROR(ApplyAttributeMask(paths, input, spec));
                                 return NormalizeAttributeSpec(spec, "attribute.");
                               },
                               AuditActorOf(call)));
        AttributeToProto(updated, *response);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::ArchiveAttribute(grpc::ServerContext* context,
                                             const v1::ArchiveAttributeRequest* request,
                                             v1::Attribute* response) {
  return rpc::HandleProgramCall(
      context, "ArchiveAttribute", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Attribute archived,
                         attributes_.Archive(call.program_id, request->key(), AuditActorOf(call)));
        AttributeToProto(archived, *response);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::SetClientAttributes(grpc::ServerContext* context,
                                                const v1::SetClientAttributesRequest* request,
                                                v1::ClientAttributes* response) {
  return rpc::HandleProgramCall(
      context, "SetClientAttributes", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(CheckRequestId(request->request_id()));
        ASSIGN_OR_RETURN(std::string client_id, RequireUuid("client_id", request->client_id()));
        AttributeChangeOrigin origin{.actor = AuditActorOf(call),
                                     .reason = request->reason()};
        ASSIGN_OR_RETURN(origin.source,
                         ResolveRequestedSource(
                             "source", static_cast<AttributeChangeSource>(request->source())));
        RETURN_IF_ERROR(NormalizeFreeText("reason", kMaxChangeReasonLength, origin.reason));
        AttributeValuesInput input{.writer = AttributeWriterOf(call.role)};
        for (const v1::AttributeValue& value : request->values()) {
          input.values.push_back(AttributeValueFromProto(value));
        }
        input.clear_keys.assign(request->clear_keys().begin(), request->clear_keys().end());
        // The request as sent, without its id: what a retry must repeat.
        v1::SetClientAttributesRequest content = *request;
        content.clear_request_id();
        ASSIGN_OR_RETURN(std::vector<AttributeValue> values,
                         attributes_.SetValues(call.program_id, client_id, input, origin,
                                               request->request_id(),
                                               HashApiKeySecret(content.SerializeAsString())));
        ValuesToProto(client_id, values, *response);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::GetClientAttributes(grpc::ServerContext* context,
                                                const v1::GetClientAttributesRequest* request,
                                                v1::ClientAttributes* response) {
  return rpc::HandleProgramCall(
      context, "GetClientAttributes", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string client_id, RequireUuid("client_id", request->client_id()));
        ASSIGN_OR_RETURN(std::vector<AttributeValue> values,
                         attributes_.GetValues(call.program_id, client_id));
        ValuesToProto(client_id, values, *response);
        return absl::OkStatus();
      });
}

grpc::Status AttributesApi::ListStatusHistory(grpc::ServerContext* context,
                                              const v1::ListStatusHistoryRequest* request,
                                              v1::ListStatusHistoryResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListStatusHistory", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(std::string client_id, RequireUuid("client_id", request->client_id()));
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(StatusHistoryPage page,
                         attributes_.ListStatusHistory(call.program_id, client_id,
                                                       request->attribute_key(), page_size,
                                                       request->page_token()));
        for (const StatusChange& change : page.changes) {
          v1::StatusChange* out = response->add_changes();
          out->set_attribute_key(change.key);
          out->set_old_value(change.old_value);
          out->set_new_value(change.new_value);
          out->set_source(static_cast<v1::AttributeChangeSource>(change.source));
          out->set_changed_by(change.changed_by);
          rpc::SetTimestamp(change.change_time, out->mutable_change_time());
          out->set_reason(change.reason);
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
