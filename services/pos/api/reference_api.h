#pragma once

// gRPC surface of the POS reference lists (POS-8): the same six methods
// for each of the four lists, served by one set of handlers with the kind.

#include "absl/strings/string_view.h"
#include "loyalty/pos/v1/reference_service.grpc.pb.h"
#include "services/pos/storage/reference_store.h"

namespace loyalty::pos {

class ReferenceApi final : public v1::ReferenceService::Service {
 public:
  explicit ReferenceApi(ReferenceStore& store) : store_(store) {}

  grpc::Status CreatePartner(grpc::ServerContext* context, const v1::CreateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status GetPartner(grpc::ServerContext* context, const v1::GetReferenceRequest* request,
                     v1::Reference* response) override;
  grpc::Status ListPartners(grpc::ServerContext* context, const v1::ListReferencesRequest* request,
                        v1::ListReferencesResponse* response) override;
  grpc::Status UpdatePartner(grpc::ServerContext* context, const v1::UpdateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status ArchivePartner(grpc::ServerContext* context, const v1::ArchiveReferenceRequest* request,
                         v1::Reference* response) override;
  grpc::Status UnarchivePartner(grpc::ServerContext* context,
                           const v1::ArchiveReferenceRequest* request,
                           v1::Reference* response) override;
  grpc::Status CreateStoreType(grpc::ServerContext* context, const v1::CreateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status GetStoreType(grpc::ServerContext* context, const v1::GetReferenceRequest* request,
                     v1::Reference* response) override;
  grpc::Status ListStoreTypes(grpc::ServerContext* context, const v1::ListReferencesRequest* request,
                        v1::ListReferencesResponse* response) override;
  grpc::Status UpdateStoreType(grpc::ServerContext* context, const v1::UpdateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status ArchiveStoreType(grpc::ServerContext* context, const v1::ArchiveReferenceRequest* request,
                         v1::Reference* response) override;
  grpc::Status UnarchiveStoreType(grpc::ServerContext* context,
                           const v1::ArchiveReferenceRequest* request,
                           v1::Reference* response) override;
  grpc::Status CreateSalesChannel(grpc::ServerContext* context, const v1::CreateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status GetSalesChannel(grpc::ServerContext* context, const v1::GetReferenceRequest* request,
                     v1::Reference* response) override;
  grpc::Status ListSalesChannels(grpc::ServerContext* context, const v1::ListReferencesRequest* request,
                        v1::ListReferencesResponse* response) override;
  grpc::Status UpdateSalesChannel(grpc::ServerContext* context, const v1::UpdateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status ArchiveSalesChannel(grpc::ServerContext* context, const v1::ArchiveReferenceRequest* request,
                         v1::Reference* response) override;
  grpc::Status UnarchiveSalesChannel(grpc::ServerContext* context,
                           const v1::ArchiveReferenceRequest* request,
                           v1::Reference* response) override;
  grpc::Status CreateCity(grpc::ServerContext* context, const v1::CreateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status GetCity(grpc::ServerContext* context, const v1::GetReferenceRequest* request,
                     v1::Reference* response) override;
  grpc::Status ListCities(grpc::ServerContext* context, const v1::ListReferencesRequest* request,
                        v1::ListReferencesResponse* response) override;
  grpc::Status UpdateCity(grpc::ServerContext* context, const v1::UpdateReferenceRequest* request,
                        v1::Reference* response) override;
  grpc::Status ArchiveCity(grpc::ServerContext* context, const v1::ArchiveReferenceRequest* request,
                         v1::Reference* response) override;
  grpc::Status UnarchiveCity(grpc::ServerContext* context,
                           const v1::ArchiveReferenceRequest* request,
                           v1::Reference* response) override;

 private:
  grpc::Status Create(grpc::ServerContext* context, absl::string_view method, ReferenceKind kind,
                      const v1::CreateReferenceRequest& request, v1::Reference* response);
  grpc::Status Get(grpc::ServerContext* context, absl::string_view method, ReferenceKind kind,
                   const v1::GetReferenceRequest& request, v1::Reference* response);
  grpc::Status List(grpc::ServerContext* context, absl::string_view method, ReferenceKind kind,
                    const v1::ListReferencesRequest& request,
                    v1::ListReferencesResponse* response);
  grpc::Status Update(grpc::ServerContext* context, absl::string_view method, ReferenceKind kind,
                      const v1::UpdateReferenceRequest& request, v1::Reference* response);
  grpc::Status SetArchived(grpc::ServerContext* context, absl::string_view method,
                           ReferenceKind kind, const std::string& id, bool archived,
                           v1::Reference* response);

  ReferenceStore& store_;
};

}  // namespace loyalty::pos
