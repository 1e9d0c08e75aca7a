#pragma once

// gRPC surface of consents (CLI-3) and contact verification (CLI-5).

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "loyalty/identity/v1/consents_service.grpc.pb.h"
#include "services/identity/api/message_sender.h"
#include "services/identity/domain/verification.h"
#include "services/identity/storage/consent_store.h"
#include "services/identity/storage/verification_store.h"

namespace loyalty::identity {

// One history record as the API shows it (also in the client view).
void RecordToProto(const ConsentRecord& record, v1::ConsentRecord* out);

class ConsentsApi final : public v1::ConsentService::Service {
 public:
  using Clock = std::function<absl::Time()>;

  ConsentsApi(ConsentStore& store, Clock clock) : store_(store), clock_(std::move(clock)) {}

  grpc::Status RecordConsents(grpc::ServerContext* context,
                              const v1::RecordConsentsRequest* request,
                              v1::ClientConsents* response) override;
  grpc::Status GetConsents(grpc::ServerContext* context, const v1::GetConsentsRequest* request,
                           v1::ClientConsents* response) override;

 private:
  ConsentStore& store_;
  Clock clock_;
};

class VerificationsApi final : public v1::VerificationService::Service {
 public:
  using Clock = std::function<absl::Time()>;

  // `code_key` is the HMAC key of stored codes; every replica needs the same.
  VerificationsApi(VerificationStore& store, MessageSender& sender, VerificationLimits limits,
                   std::string code_key, Clock clock)
      : store_(store),
        sender_(sender),
        limits_(limits),
        code_key_(std::move(code_key)),
        clock_(std::move(clock)) {}

  grpc::Status StartVerification(grpc::ServerContext* context,
                                 const v1::StartVerificationRequest* request,
                                 v1::Verification* response) override;
  grpc::Status ConfirmVerification(grpc::ServerContext* context,
                                   const v1::ConfirmVerificationRequest* request,
                                   v1::Verification* response) override;

 private:
  VerificationStore& store_;
  MessageSender& sender_;
  VerificationLimits limits_;
  std::string code_key_;
  Clock clock_;
};

}  // namespace loyalty::identity
