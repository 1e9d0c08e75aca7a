#pragma once

// How identity hands a one-time code to the client: through the
// notifications service. An interface so that API tests can record the
// messages instead.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/rpc/call_context.h"
#include "services/identity/domain/verification.h"

namespace loyalty::identity {

struct OutgoingMessage {
  VerificationChannel channel = VerificationChannel::kPhone;
  std::string recipient;  // E.164 phone or e-mail
  std::string subject;    // e-mail only
  std::string text;
  std::string idempotency_key;
};

class MessageSender {
 public:
  virtual ~MessageSender() = default;
  virtual absl::Status Send(const rpc::CallContext& call, const OutgoingMessage& message) = 0;
};

// Calls notifications' TransactionalMessageService, forwarding the caller's
// context.
class NotificationsMessageSender final : public MessageSender {
 public:
  static constexpr absl::Duration kTimeout = absl::Seconds(5);

  // Dials `address` (host:port) lazily: the first call connects.
  static std::unique_ptr<NotificationsMessageSender> Dial(const std::string& address);
  ~NotificationsMessageSender() override;

  absl::Status Send(const rpc::CallContext& call, const OutgoingMessage& message) override;

 private:
  struct Stub;
  explicit NotificationsMessageSender(std::unique_ptr<Stub> stub);
  std::unique_ptr<Stub> stub_;
};

}  // namespace loyalty::identity
