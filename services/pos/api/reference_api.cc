#include "services/pos/api/reference_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/pos/api/update_mask.h"

namespace loyalty::pos {
namespace {

void ReferenceToProto(const Reference& reference, v1::Reference* out) {
  out->set_id(reference.id);
  out->set_name(reference.name);
  out->set_legal_name(reference.legal_name);
  out->set_tax_id(reference.tax_id);
  out->set_region(reference.region);
  out->set_time_zone(reference.time_zone);
  out->set_archived(reference.archived);
  rpc::SetTimestamp(reference.create_time, out->mutable_create_time());
  rpc::SetTimestamp(reference.update_time, out->mutable_update_time());
}

Reference ReferenceFromProto(const v1::Reference& in) {
  return Reference{.id = in.id(),
                   .name = in.name(),
                   .legal_name = in.legal_name(),
                   .tax_id = in.tax_id(),
                   .region = in.region(),
                   .time_zone = in.time_zone()};
}

// The fields Update changes, by update-mask path. An empty mask copies
// them all; those of another kind must then be empty (ValidateReference).
using ReferencePath = MaskPath<v1::Reference, Reference>;
constexpr ReferencePath kPaths[] = {
    {"name", [](const v1::Reference& in, Reference& r) { r.name = in.name(); }},
    {"legal_name", [](const v1::Reference& in, Reference& r) { r.legal_name = in.legal_name(); }},
    {"tax_id", [](const v1::Reference& in, Reference& r) { r.tax_id = in.tax_id(); }},
    {"region", [](const v1::Reference& in, Reference& r) { r.region = in.region(); }},
    {"time_zone", [](const v1::Reference& in, Reference& r) { r.time_zone = in.time_zone(); }},
};

}  // namespace

grpc::Status ReferenceApi::Create(grpc::ServerContext* context, absl::string_view method,
                                  ReferenceKind kind, const v1::CreateReferenceRequest& request,
                                  v1::Reference* response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    if (request.request_id().size() > 128) {
      return InvalidField("request_id", "longer than 128 bytes");
    }
    Reference wanted = ReferenceFromProto(request.reference());
    if (!wanted.id.empty()) RETURN_IF_ERROR(ValidateCode(wanted.id, "reference.id"));
    if (request.reference().archived()) {
      return InvalidField("reference.archived", "a new entry is not archived");
    }
    RETURN_IF_ERROR(ValidateReference(kind, wanted, "reference"));
    ASSIGN_OR_RETURN(Reference created,
                     store_.Create(call.program_id, kind, wanted, request.request_id()));
    ReferenceToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status ReferenceApi::Get(grpc::ServerContext* context, absl::string_view method,
                               ReferenceKind kind, const v1::GetReferenceRequest& request,
                               v1::Reference* response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    ASSIGN_OR_RETURN(Reference found, store_.Get(call.program_id, kind, request.id()));
    ReferenceToProto(found, response);
    return absl::OkStatus();
  });
}

grpc::Status ReferenceApi::List(grpc::ServerContext* context, absl::string_view method,
                                ReferenceKind kind, const v1::ListReferencesRequest& request,
                                v1::ListReferencesResponse* response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request.page_size()));
    ASSIGN_OR_RETURN(ReferencePage page,
                     store_.List(call.program_id, kind, page_size, request.page_token(),
                                 request.show_archived()));
    for (const Reference& reference : page.references) {
      ReferenceToProto(reference, response->add_references());
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status ReferenceApi::Update(grpc::ServerContext* context, absl::string_view method,
                                  ReferenceKind kind, const v1::UpdateReferenceRequest& request,
                                  v1::Reference* response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    ASSIGN_OR_RETURN(
        Reference saved,
        store_.Update(call.program_id, kind, request.reference().id(),
                      [&](Reference& reference) -> absl::Status {
                        RETURN_IF_ERROR(ApplyUpdateMask(request.reference(),
                                                        request.update_mask(), kPaths, reference));
                        return ValidateReference(kind, reference, "reference");
                      }));
    ReferenceToProto(saved, response);
    return absl::OkStatus();
  });
}

grpc::Status ReferenceApi::SetArchived(grpc::ServerContext* context, absl::string_view method,
                                       ReferenceKind kind, const std::string& id, bool archived,
                                       v1::Reference* response) {
  return rpc::HandleProgramCall(context, method, [&](const rpc::CallContext& call) -> absl::Status {
    ASSIGN_OR_RETURN(Reference saved, store_.SetArchived(call.program_id, kind, id, archived));
    ReferenceToProto(saved, response);
    return absl::OkStatus();
  });
}

grpc::Status ReferenceApi::CreatePartner(grpc::ServerContext* context,
                                    const v1::CreateReferenceRequest* request,
                                    v1::Reference* response) {
  return Create(context, "CreatePartner", ReferenceKind::kPartner, *request, response);
}
grpc::Status ReferenceApi::GetPartner(grpc::ServerContext* context,
                                 const v1::GetReferenceRequest* request, v1::Reference* response) {
  return Get(context, "GetPartner", ReferenceKind::kPartner, *request, response);
}
grpc::Status ReferenceApi::ListPartners(grpc::ServerContext* context,
                                    const v1::ListReferencesRequest* request,
                                    v1::ListReferencesResponse* response) {
  return List(context, "ListPartners", ReferenceKind::kPartner, *request, response);
}
grpc::Status ReferenceApi::UpdatePartner(grpc::ServerContext* context,
                                    const v1::UpdateReferenceRequest* request,
                                    v1::Reference* response) {
  return Update(context, "UpdatePartner", ReferenceKind::kPartner, *request, response);
}
grpc::Status ReferenceApi::ArchivePartner(grpc::ServerContext* context,
                                     const v1::ArchiveReferenceRequest* request,
                                     v1::Reference* response) {
  return SetArchived(context, "ArchivePartner", ReferenceKind::kPartner, request->id(), true, response);
}
grpc::Status ReferenceApi::UnarchivePartner(grpc::ServerContext* context,
                                       const v1::ArchiveReferenceRequest* request,
                                       v1::Reference* response) {
  return SetArchived(context, "UnarchivePartner", ReferenceKind::kPartner, request->id(), false, response);
}
grpc::Status ReferenceApi::CreateStoreType(grpc::ServerContext* context,
                                    const v1::CreateReferenceRequest* request,
                                    v1::Reference* response) {
  return Create(context, "CreateStoreType", ReferenceKind::kStoreType, *request, response);
}
grpc::Status ReferenceApi::GetStoreType(grpc::ServerContext* context,
                                 const v1::GetReferenceRequest* request, v1::Reference* response) {
  return Get(context, "GetStoreType", ReferenceKind::kStoreType, *request, response);
}
grpc::Status ReferenceApi::ListStoreTypes(grpc::ServerContext* context,
                                    const v1::ListReferencesRequest* request,
                                    v1::ListReferencesResponse* response) {
  return List(context, "ListStoreTypes", ReferenceKind::kStoreType, *request, response);
}
grpc::Status ReferenceApi::UpdateStoreType(grpc::ServerContext* context,
                                    const v1::UpdateReferenceRequest* request,
                                    v1::Reference* response) {
  return Update(context, "UpdateStoreType", ReferenceKind::kStoreType, *request, response);
}
grpc::Status ReferenceApi::ArchiveStoreType(grpc::ServerContext* context,
                                     const v1::ArchiveReferenceRequest* request,
                                     v1::Reference* response) {
  return SetArchived(context, "ArchiveStoreType", ReferenceKind::kStoreType, request->id(), true, response);
}
grpc::Status ReferenceApi::UnarchiveStoreType(grpc::ServerContext* context,
                                       const v1::ArchiveReferenceRequest* request,
                                       v1::Reference* response) {
  return SetArchived(context, "UnarchiveStoreType", ReferenceKind::kStoreType, request->id(), false, response);
}
grpc::Status ReferenceApi::CreateSalesChannel(grpc::ServerContext* context,
                                    const v1::CreateReferenceRequest* request,
                                    v1::Reference* response) {
  return Create(context, "CreateSalesChannel", ReferenceKind::kSalesChannel, *request, response);
}
grpc::Status ReferenceApi::GetSalesChannel(grpc::ServerContext* context,
                                 const v1::GetReferenceRequest* request, v1::Reference* response) {
  return Get(context, "GetSalesChannel", ReferenceKind::kSalesChannel, *request, response);
}
grpc::Status ReferenceApi::ListSalesChannels(grpc::ServerContext* context,
                                    const v1::ListReferencesRequest* request,
                                    v1::ListReferencesResponse* response) {
  return List(context, "ListSalesChannels", ReferenceKind::kSalesChannel, *request, response);
}
grpc::Status ReferenceApi::UpdateSalesChannel(grpc::ServerContext* context,
                                    const v1::UpdateReferenceRequest* request,
                                    v1::Reference* response) {
  return Update(context, "UpdateSalesChannel", ReferenceKind::kSalesChannel, *request, response);
}
grpc::Status ReferenceApi::ArchiveSalesChannel(grpc::ServerContext* context,
                                     const v1::ArchiveReferenceRequest* request,
                                     v1::Reference* response) {
  return SetArchived(context, "ArchiveSalesChannel", ReferenceKind::kSalesChannel, request->id(), true, response);
}
grpc::Status ReferenceApi::UnarchiveSalesChannel(grpc::ServerContext* context,
                                       const v1::ArchiveReferenceRequest* request,
                                       v1::Reference* response) {
  return SetArchived(context, "UnarchiveSalesChannel", ReferenceKind::kSalesChannel, request->id(), false, response);
}
grpc::Status ReferenceApi::CreateCity(grpc::ServerContext* context,
                                    const v1::CreateReferenceRequest* request,
                                    v1::Reference* response) {
  return Create(context, "CreateCity", ReferenceKind::kCity, *request, response);
}
grpc::Status ReferenceApi::GetCity(grpc::ServerContext* context,
                                 const v1::GetReferenceRequest* request, v1::Reference* response) {
  return Get(context, "GetCity", ReferenceKind::kCity, *request, response);
}
grpc::Status ReferenceApi::ListCities(grpc::ServerContext* context,
                                    const v1::ListReferencesRequest* request,
                                    v1::ListReferencesResponse* response) {
  return List(context, "ListCities", ReferenceKind::kCity, *request, response);
}
grpc::Status ReferenceApi::UpdateCity(grpc::ServerContext* context,
                                    const v1::UpdateReferenceRequest* request,
                                    v1::Reference* response) {
  return Update(context, "UpdateCity", ReferenceKind::kCity, *request, response);
}
grpc::Status ReferenceApi::ArchiveCity(grpc::ServerContext* context,
                                     const v1::ArchiveReferenceRequest* request,
                                     v1::Reference* response) {
  return SetArchived(context, "ArchiveCity", ReferenceKind::kCity, request->id(), true, response);
}
grpc::Status ReferenceApi::UnarchiveCity(grpc::ServerContext* context,
                                       const v1::ArchiveReferenceRequest* request,
                                       v1::Reference* response) {
  return SetArchived(context, "UnarchiveCity", ReferenceKind::kCity, request->id(), false, response);
}

}  // namespace loyalty::pos
