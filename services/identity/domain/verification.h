#pragma once

// Verification of a client's phone or e-mail by one-time code (CLI-5): the
// code, its keyed hash, the resend limits and the confirmation rules.
// Pure logic; the time is always passed in, so tests need no clock.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace loyalty::identity {

// loyalty.identity.v1.VerificationChannel numbers.
enum class VerificationChannel { kPhone = 1, kEmail = 2 };

enum class VerificationState { kPending = 1, kVerified = 2, kFailed = 3, kExpired = 4 };

struct VerificationLimits {
  absl::Duration code_lifetime = absl::Minutes(10);
  int max_attempts = 5;
  // Resend throttling per client and channel.
  absl::Duration min_resend_interval = absl::Seconds(60);
  int max_per_hour = 5;
};

struct Verification {
  std::string verification_id;
  std::string client_id;
  VerificationChannel channel = VerificationChannel::kPhone;
  std::string contact;  // the phone or e-mail the code was sent to
  std::string code_hash;
  absl::Time create_time;
  absl::Time expire_time;
  int failed_attempts = 0;
  int max_attempts = 0;
  std::optional<absl::Time> verify_time;
};

inline constexpr int kVerificationCodeDigits = 6;

// A uniformly random 6-digit code from the operating system's CSPRNG.
std::string NewVerificationCode();

// HMAC-SHA-256 of the code under `key`, bound to the verification id so
// that a hash copied to another row does not match there. Hex.
std::string HashVerificationCode(absl::string_view key, absl::string_view verification_id,
                                 absl::string_view code);

// Compares in constant time.
bool VerificationCodeMatches(absl::string_view key, const Verification& verification,
                             absl::string_view code);

// RESOURCE_EXHAUSTED (with when to retry) when another code may not be sent
// yet, given the creation times of the client's earlier codes on the
// channel within the last hour.
absl::Status CheckResendAllowed(absl::Span<const absl::Time> recent_sends, absl::Time now,
                                const VerificationLimits& limits);

VerificationState StateAt(const Verification& verification, absl::Time now);

inline int AttemptsLeft(const Verification& verification) {
  int left = verification.max_attempts - verification.failed_attempts;
  return left < 0 ? 0 : left;
}

// What a confirmation with a code does to a verification.
struct ConfirmOutcome {
  // Verified now (or already, by this code): mark it so.
  bool verify = false;
  // A wrong code to count.
  bool count_failure = false;
  // The answer to the caller; OK when verified.
  absl::Status status;
};

// The rules of ConfirmVerification. `current_contact` is the client's phone
// or e-mail now: a code sent to an earlier value verifies nothing.
ConfirmOutcome EvaluateConfirmation(const Verification& verification, bool code_matches,
                                    absl::string_view current_contact, absl::Time now);

// Field check of a submitted code: exactly 6 digits.
absl::Status ValidateCodeSyntax(absl::string_view code);

}  // namespace loyalty::identity
