#pragma once

#include "absl/strings/string_view.h"
#include "loyalty/identity/v1/attributes_service.grpc.pb.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/attribute_proto.h"

namespace loyalty::identity {

// POS and partner keys write as a client-facing channel; everyone else
// (console roles, platform services) as an operator.
AttributeWriter AttributeWriterOf(absl::string_view role);

// loyalty.identity.v1.AttributesService: custom client attributes (CLI-2).
class AttributesApi final : public v1::AttributesService::Service {
 public:
  explicit AttributesApi(AttributeStore& attributes) : attributes_(attributes) {}

  grpc::Status CreateAttribute(grpc::ServerContext* context,
                               const v1::CreateAttributeRequest* request,
                               v1::Attribute* response) override;
  grpc::Status GetAttribute(grpc::ServerContext* context, const v1::GetAttributeRequest* request,
                            v1::Attribute* response) override;
  grpc::Status ListAttributes(grpc::ServerContext* context,
                              const v1::ListAttributesRequest* request,
                              v1::ListAttributesResponse* response) override;
  grpc::Status UpdateAttribute(grpc::ServerContext* context,
                               const v1::UpdateAttributeRequest* request,
                               v1::Attribute* response) override;
  grpc::Status ArchiveAttribute(grpc::ServerContext* context,
                                const v1::ArchiveAttributeRequest* request,
                                v1::Attribute* response) override;
  grpc::Status SetClientAttributes(grpc::ServerContext* context,
                                   const v1::SetClientAttributesRequest* request,
                                   v1::ClientAttributes* response) override;
  grpc::Status GetClientAttributes(grpc::ServerContext* context,
                                   const v1::GetClientAttributesRequest* request,
                                   v1::ClientAttributes* response) override;
  grpc::Status ListStatusHistory(grpc::ServerContext* context,
                                 const v1::ListStatusHistoryRequest* request,
                                 v1::ListStatusHistoryResponse* response) override;

 private:
  AttributeStore& attributes_;
};

}  // namespace loyalty::identity
