#include "services/identity/domain/verification.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::identity {

std::string NewVerificationCode() {
  constexpr uint32_t kCodes = 1000000;
  // Rejection sampling: 2^32 is not a multiple of a million, and a modulo
  // bias would make some codes likelier than others.
  constexpr uint32_t kLimit = UINT32_MAX - UINT32_MAX % kCodes;
  uint32_t value = 0;
  do {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof(value)) != 1) std::abort();
  } while (value >= kLimit);
  std::string code = absl::StrCat(value % kCodes);
  return std::string(kVerificationCodeDigits - code.size(), '0') + code;
}

std::string HashVerificationCode(absl::string_view key, absl::string_view verification_id,
                                 absl::string_view code) {
  std::string message = absl::StrCat(verification_id, ":", code);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

bool VerificationCodeMatches(absl::string_view key, const Verification& verification,
                             absl::string_view code) {
  std::string hash = HashVerificationCode(key, verification.verification_id, code);
  return hash.size() == verification.code_hash.size() &&
         CRYPTO_memcmp(hash.data(), verification.code_hash.data(), hash.size()) == 0;
}

absl::Status CheckResendAllowed(absl::Span<const absl::Time> recent_sends, absl::Time now,
                                const VerificationLimits& limits) {
  absl::Time latest = absl::InfinitePast();
  absl::Time oldest_in_hour = absl::InfiniteFuture();
  int in_hour = 0;
  for (absl::Time sent : recent_sends) {
    if (sent > latest) latest = sent;
    if (sent > now - absl::Hours(1)) {
      ++in_hour;
      if (sent < oldest_in_hour) oldest_in_hour = sent;
    }
  }
  if (latest > now - limits.min_resend_interval) {
    absl::Duration wait = latest + limits.min_resend_interval - now;
    return absl::ResourceExhaustedError(absl::StrCat(
        "a code was sent moments ago; retry in ",
        absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))), " s"));
  }
  if (in_hour >= limits.max_per_hour) {
    absl::Duration wait = oldest_in_hour + absl::Hours(1) - now;
    return absl::ResourceExhaustedError(
        absl::StrCat("at most ", limits.max_per_hour, " codes per hour; retry in ",
                     absl::ToInt64Minutes(absl::Ceil(wait, absl::Minutes(1))), " min"));
  }
  return absl::OkStatus();
}

VerificationState StateAt(const Verification& verification, absl::Time now) {
  if (verification.verify_time) return VerificationState::kVerified;
  if (verification.failed_attempts >= verification.max_attempts) return VerificationState::kFailed;
  if (now >= verification.expire_time) return VerificationState::kExpired;
  return VerificationState::kPending;
}

ConfirmOutcome EvaluateConfirmation(const Verification& verification, bool code_matches,
                                    absl::string_view current_contact, absl::Time now) {
  ConfirmOutcome outcome;
  switch (StateAt(verification, now)) {
    case VerificationState::kVerified:
      // A retried confirmation gets the same answer; a wrong code learns
      // nothing from a finished verification.
      outcome.status = code_matches ? absl::OkStatus()
                                    : absl::FailedPreconditionError(
                                          "this verification is already completed");
      return outcome;
    case VerificationState::kFailed:
      outcome.status = absl::FailedPreconditionError(
          "no attempts left for this code; start a new verification");
      return outcome;
    case VerificationState::kExpired:
      outcome.status =
          absl::FailedPreconditionError("the code has expired; start a new verification");
      return outcome;
    case VerificationState::kPending:
      break;
  }
  if (!code_matches) {
    outcome.count_failure = true;
    int left = AttemptsLeft(verification) - 1;
    outcome.status =
        left > 0 ? InvalidField("code", absl::StrCat("wrong code; ", left, " attempts left"))
                 : absl::FailedPreconditionError(
                       "wrong code; no attempts left, start a new verification");
    return outcome;
  }
  if (verification.contact != current_contact) {
    outcome.status = absl::FailedPreconditionError(
        "the client's contact changed since the code was sent; start a new verification");
    return outcome;
  }
  outcome.verify = true;
  outcome.status = absl::OkStatus();
  return outcome;
}

absl::Status ValidateCodeSyntax(absl::string_view code) {
  if (code.size() != kVerificationCodeDigits) {
    return InvalidField("code", absl::StrCat("must be ", kVerificationCodeDigits, " digits"));
  }
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return InvalidField("code", absl::StrCat("must be ", kVerificationCodeDigits, " digits"));
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::identity
