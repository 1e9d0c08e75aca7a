#pragma once

// PromoCodes over `campaigns`' PromoCodeService: pos calls it as itself
// (role POS) for the receipt's program. Also the issuer of the codes that
// post-confirm campaign actions give (IssuePromoCode, which admits role
// POS).

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/pos/domain/campaign_actions.h"
#include "services/pos/domain/promo_codes.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace loyalty::pos {

class GrpcPromoCodes final : public PromoCodes, public PromoCodeIssuer {
 public:
  GrpcPromoCodes(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~GrpcPromoCodes() override;

  absl::StatusOr<ReserveResult> Reserve(const std::string& program_id,
                                        const ReserveRequest& request) override;
  absl::Status Consume(const std::string& program_id, const std::string& reservation_id) override;
  absl::Status Release(const std::string& program_id, const std::string& reservation_id) override;
  // campaigns' status as it is (FAILED_PRECONDITION for a pool that can
  // give no code, NOT_FOUND for an unknown pool), so the worker can tell a
  // refusal from an outage.
  absl::StatusOr<std::string> Issue(const std::string& program_id, const std::string& pool_id,
                                    const std::string& client_id,
                                    const std::string& issue_id) override;

 private:
  template <typename Request, typename Method>
  absl::Status OnReservation(const std::string& program_id, const std::string& reservation_id,
                             Method method, absl::string_view call);

  struct Stub;
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

// What a refusal of ReservePromoCode means for the receipt. `campaigns`
// says NOT_FOUND for an unknown code (another program's included) and
// FAILED_PRECONDITION with a cashier's reason otherwise; the kind of
// refusal is read from that reason, which stays what the cashier sees.
PromoCodes::Refusal RefusalFromStatus(const absl::Status& status);

}  // namespace loyalty::pos
