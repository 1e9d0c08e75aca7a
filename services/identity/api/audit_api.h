#pragma once

#include "loyalty/identity/v1/audit_service.grpc.pb.h"
#include "services/identity/storage/audit_store.h"

namespace loyalty::identity {

// loyalty.identity.v1.AuditService: reading the audit log (CLI-13).
class AuditApi final : public v1::AuditService::Service {
 public:
  explicit AuditApi(AuditStore& audit) : audit_(audit) {}

  grpc::Status ListClientAuditEntries(grpc::ServerContext* context,
                                      const v1::ListClientAuditEntriesRequest* request,
                                      v1::ListAuditEntriesResponse* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const v1::ListAuditEntriesRequest* request,
                                v1::ListAuditEntriesResponse* response) override;

 private:
  AuditStore& audit_;
};

}  // namespace loyalty::identity
