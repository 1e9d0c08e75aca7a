#pragma once

// Transactional messages: one message to one recipient that a platform
// service sends on its own account (verification codes), handed straight
// to the channel's provider. Pure rules and the provider interface.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/notifications/domain/template.h"

namespace loyalty::notifications {

struct TransactionalMessage {
  Channel channel = Channel::kSms;
  std::string recipient;
  std::string subject;
  std::string text;
  std::string idempotency_key;
};

inline constexpr size_t kMaxTransactionalTextLength = 1000;
inline constexpr size_t kMaxIdempotencyKeyLength = 128;

// SMS or e-mail only, a recipient of the channel's shape (E.164 for SMS,
// local@domain for e-mail), text 1..1000 bytes, subject at most 200 bytes
// and only for e-mail, key 1..128 of [A-Za-z0-9_-] (it names a file in the
// pickup directory). Errors name the request field.
absl::Status ValidateTransactionalMessage(const TransactionalMessage& message);

// Delivers messages of some channels. Real SMS and e-mail gateways are
// implementations to come; `PickupDirectoryProvider` is the local one.
class MessageProvider {
 public:
  virtual ~MessageProvider() = default;
  // Hands the message over; the same idempotency key again is not sent
  // twice. Returns the provider's message id.
  virtual absl::StatusOr<std::string> Deliver(const TransactionalMessage& message) = 0;
};

}  // namespace loyalty::notifications
