#pragma once

// Cards and their issue rules. Pure logic: no gRPC, SQL or Redis here.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::cards {

enum class CardStatus { kActive, kBlocked, kLost, kDeleted };

// Stable names used in storage ("ACTIVE", ...).
absl::string_view CardStatusName(CardStatus status);
std::optional<CardStatus> ParseCardStatus(absl::string_view name);

// Points of an account as members see them. `active` counts every active,
// unexpired lot (held points included); `available` is what can be spent
// now: active less open holds, never negative.
struct Balance {
  int64_t available = 0;
  int64_t active = 0;
  int64_t pending = 0;
  int64_t held = 0;

  friend bool operator==(const Balance&, const Balance&) = default;
};

struct Card {
  std::string number;
  std::string barcode;
  std::string client_id;
  CardStatus status = CardStatus::kActive;
  std::string account_id;
  absl::Time create_time;
  Balance balance;
};

// What IssueCard asks for, after normalisation.
struct IssueCardInput {
  std::string client_id;   // canonical lower-case UUID
  std::string number;      // empty: generate one
  std::string request_id;  // empty: not idempotent
  std::string template_id;  // empty: none; see CardLevelStore
};

inline constexpr size_t kMaxRequestIdLength = 128;

// INVALID_ARGUMENT naming `field` when `value` holds a control character.
// Ids and references reach PostgreSQL as C strings: a NUL would cut them
// short and make two different ids (or card numbers) look the same.
absl::Status ValidateNoControlCharacters(absl::string_view field, absl::string_view value);

// Lower-cases the client id (UUIDs compare case-insensitively, storage does
// not) and checks every field, naming the first bad one.
absl::Status NormalizeIssueCard(IssueCardInput& input);

// --- Card numbers -----------------------------------------------------------

// Custom numbers are 6..19 digits: the range of payment and loyalty card
// numbers that POS scanners and keypads handle.
inline constexpr size_t kMinCardNumberLength = 6;
inline constexpr size_t kMaxCardNumberLength = 19;

// INVALID_ARGUMENT naming `number` unless `number` is 6..19 ASCII digits.
absl::Status ValidateCardNumber(absl::string_view number);

// The EAN-13 check digit (0..9) of the first 12 digits of `digits`, which
// must hold at least 12 ASCII digits.
int Ean13CheckDigit(absl::string_view digits);

// True for 13 ASCII digits whose last is the EAN-13 check digit of the rest.
bool IsValidEan13(absl::string_view number);

// Source of numbers for cards issued without one; an interface so tests can
// force collisions.
class CardNumberGenerator {
 public:
  virtual ~CardNumberGenerator() = default;
  virtual std::string Next() = 0;
};

// "2" (the GS1 prefix range reserved for in-store numbering, so generated
// numbers never clash with real product barcodes) + 11 random digits + the
// EAN-13 check digit.
std::string GenerateEan13CardNumber(absl::BitGenRef random);

class RandomCardNumberGenerator final : public CardNumberGenerator {
 public:
  std::string Next() override;
};

}  // namespace loyalty::cards
