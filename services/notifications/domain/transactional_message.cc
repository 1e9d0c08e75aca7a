#include "services/notifications/domain/transactional_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::notifications {
namespace {

bool IsE164(const std::string& phone) {
  if (phone.size() < 9 || phone.size() > 16 || phone[0] != '+' || phone[1] == '0') return false;
  for (size_t i = 1; i < phone.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(phone[i]))) return false;
  }
  return true;
}

bool LooksLikeEmail(const std::string& email) {
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.size() > 254) return false;
  size_t dot = email.find('.', at);
  if (dot == std::string::npos || dot == at + 1 || dot == email.size() - 1) return false;
  for (char c : email) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateTransactionalMessage(const TransactionalMessage& message) {
  if (message.channel == Channel::kSms) {
    if (!IsE164(message.recipient)) return InvalidField("recipient", "not an E.164 phone");
    if (!message.subject.empty()) return InvalidField("subject", "only e-mail has a subject");
  } else if (message.channel == Channel::kEmail) {
    if (!LooksLikeEmail(message.recipient)) {
      return InvalidField("recipient", "not an e-mail address");
    }
    if (message.subject.size() > static_cast<size_t>(kMaxSubjectChars)) {
      return InvalidField("subject", absl::StrCat("longer than ", kMaxSubjectChars, " bytes"));
    }
  } else {
    return InvalidField("channel", "SMS or EMAIL is required");
  }
  if (message.text.empty() || message.text.size() > kMaxTransactionalTextLength) {
    return InvalidField("text", absl::StrCat("must be 1..", kMaxTransactionalTextLength, " bytes"));
  }
  if (message.idempotency_key.empty() || message.idempotency_key.size() > kMaxIdempotencyKeyLength) {
    return InvalidField("idempotency_key",
                        absl::StrCat("must be 1..", kMaxIdempotencyKeyLength, " bytes"));
  }
  for (char c : message.idempotency_key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return InvalidField("idempotency_key", "only letters, digits, '-' and '_'");
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::notifications
