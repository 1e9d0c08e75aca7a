#pragma once

// The provider for local runs and tests: writes every message as a file
// into a directory (like an SMTP pickup directory), where a developer or a
// test reads it. Nothing leaves the machine. Real SMS and e-mail gateways
// (HTTP APIs, SMTP) are still to be written behind the same interface.

#include <string>

#include "services/notifications/domain/transactional_message.h"

namespace loyalty::notifications {

class PickupDirectoryProvider final : public MessageProvider {
 public:
  // `directory` must exist and be writable.
  explicit PickupDirectoryProvider(std::string directory) : directory_(std::move(directory)) {}

  // Writes `<directory>/<idempotency_key>.msg`: lines `channel: sms`,
  // `to: <recipient>`, `subject: <subject>`, an empty line, then the text.
  // The file appears whole (written aside, then renamed); an existing file
  // of the key means the message was delivered already. The message id is
  // the key.
  absl::StatusOr<std::string> Deliver(const TransactionalMessage& message) override;

 private:
  std::string directory_;
};

// For channels without a configured provider.
class NoProvider final : public MessageProvider {
 public:
  absl::StatusOr<std::string> Deliver(const TransactionalMessage& message) override;
};

}  // namespace loyalty::notifications
