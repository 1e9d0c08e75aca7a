#include "services/notifications/providers/pickup_directory.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace loyalty::notifications {

absl::StatusOr<std::string> PickupDirectoryProvider::Deliver(
    const TransactionalMessage& message) {
  const std::string path = absl::StrCat(directory_, "/", message.idempotency_key, ".msg");
  std::error_code error;
  if (std::filesystem::exists(path, error)) return message.idempotency_key;
  const std::string temporary = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << "channel: " << (message.channel == Channel::kSms ? "sms" : "email") << "\n"
        << "to: " << message.recipient << "\n"
        << "subject: " << message.subject << "\n\n"
        << message.text;
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
  }
  std::filesystem::rename(temporary, path, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return message.idempotency_key;
}

absl::StatusOr<std::string> NoProvider::Deliver(const TransactionalMessage&) {
  return absl::FailedPreconditionError(
      "no message provider is configured (set LOYALTY_NOTIFICATIONS_PICKUP_DIR for local runs)");
}

}  // namespace loyalty::notifications
