#pragma once

// Certificates over `cards`' CertificatesService: pos calls it as itself
// (role POS) for the receipt's program.

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/pos/domain/certificates.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace loyalty::pos {

class GrpcCertificates final : public Certificates {
 public:
  GrpcCertificates(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~GrpcCertificates() override;

  absl::StatusOr<Info> Get(const std::string& program_id, const std::string& number) override;
  absl::Status Hold(const std::string& program_id, const std::string& number,
                    const std::string& hold_id, int64_t amount,
                    const std::string& reference) override;
  absl::Status Post(const std::string& program_id, const std::string& number,
                    const std::string& hold_id, int64_t amount,
                    const std::string& request_id) override;
  absl::Status Void(const std::string& program_id, const std::string& number,
                    const std::string& hold_id) override;
  absl::Status Refund(const std::string& program_id, const std::string& number,
                      const std::string& redemption_id, int64_t amount,
                      const std::string& request_id) override;

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
};

}  // namespace loyalty::pos
