#pragma once

// Cards and their issue rules. Pure logic: no gRPC, SQL or Redis here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  // Active or pending points of lots that expire within the window asked
  // for (30 days unless said otherwise), and the soonest such expiry.
  int64_t expiring_soon = 0;
  std::optional<absl::Time> next_expire_time;
  // Points owed below zero (see DebtOf in ledger.h); `available` is 0 until
  // the active points exceed it and the holds.
  int64_t debt = 0;

  friend bool operator==(const Balance&, const Balance&) = default;
};

// How a card was issued.
enum class IssueForm { kPlastic, kVirtual };

absl::string_view IssueFormName(IssueForm form);  // "PLASTIC", "VIRTUAL"
std::optional<IssueForm> ParseIssueForm(absl::string_view name);

struct Card {
  std::string number;
  std::string barcode;
  std::string client_id;  // owner; empty for an unowned batch card
  CardStatus status = CardStatus::kActive;
  std::string account_id;
  absl::Time create_time;
  Balance balance;
  std::string status_reason;
  std::optional<absl::Time> status_change_time;
  std::vector<std::string> holder_client_ids;  // co-holders besides the owner
  IssueForm issue_form = IssueForm::kVirtual;
  std::string issue_store_id;
  std::string batch_id;
};

// What IssueCard asks for, after normalisation.
struct IssueCardInput {
  std::string client_id;   // canonical lower-case UUID
  std::string number;      // empty: generate one
  std::string request_id;  // empty: not idempotent
  IssueForm issue_form = IssueForm::kVirtual;
  std::string store_id;  // canonical lower-case UUID or empty
  std::string template_id;  // empty: none; see CardLevelStore
};

inline constexpr size_t kMaxRequestIdLength = 128;
inline constexpr size_t kMaxReasonLength = 512;
// Co-holders of one card besides its owner (a family).
inline constexpr size_t kMaxCardHolders = 10;

// INVALID_ARGUMENT naming `field` when `value` holds a control character.
// Ids and references reach PostgreSQL as C strings: a NUL would cut them
// short and make two different ids (or card numbers) look the same.
absl::Status ValidateNoControlCharacters(absl::string_view field, absl::string_view value);

// Lower-cases the client id (UUIDs compare case-insensitively, storage does
// not) and checks every field, naming the first bad one.
absl::Status NormalizeIssueCard(IssueCardInput& input);

// INVALID_ARGUMENT naming `field` unless `client_id` is a UUID; lower-cases
// it (UUIDs compare case-insensitively, storage does not).
absl::Status NormalizeClientId(absl::string_view field, std::string& client_id);

// --- Status -----------------------------------------------------------------

// ACTIVE, BLOCKED and LOST move freely among each other (a lost card found
// again is reactivated); DELETED is final. FAILED_PRECONDITION naming
// `status` otherwise. The same status again is allowed (a no-op).
absl::Status CheckStatusChange(CardStatus from, CardStatus to);

// A reason is required, at most kMaxReasonLength, no control characters.
absl::Status ValidateReason(absl::string_view field, absl::string_view reason);

// --- Batches ----------------------------------------------------------------

inline constexpr int kMaxBatchSize = 10'000;

// Consecutive numbers from `first_number` (its length kept), optionally
// each followed by its EAN-13 check digit (then `first_number` has 12
// digits).
struct CardNumberRange {
  std::string first_number;
  bool append_ean13_check_digit = false;
};

struct CardBatchInput {
  std::string request_id;  // required: the batch id
  int count = 0;
  std::optional<CardNumberRange> range;  // nullopt: generated numbers
  IssueForm issue_form = IssueForm::kVirtual;
  std::string store_id;  // canonical lower-case UUID or empty
};

// Checks a batch request, naming the bad field (`request_id`, `count`,
// `number_range.first_number`, `store_id`), and lower-cases the store id.
absl::Status NormalizeCardBatch(CardBatchInput& input);

// The numbers of a validated range batch, in order.
std::vector<std::string> RangeNumbers(const CardNumberRange& range, int count);

// Digest of what a batch asks for; a retry must match it.
std::string CardBatchFingerprint(const CardBatchInput& input);

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
