#pragma once

// Promo codes (CMP-3): pools, the codes' text form and the rules a use must
// pass. Pure logic, no I/O.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::campaigns {

enum class PoolKind { kShared = 1, kUnique = 2 };

inline constexpr int kMaxCodeChars = 64;
inline constexpr int kMaxPrefixChars = 16;
inline constexpr int kMinGeneratedLength = 6;
inline constexpr int kMaxGeneratedLength = 32;
inline constexpr int kDefaultGeneratedLength = 8;
inline constexpr int kMaxGenerateCount = 100000;
inline constexpr int kMaxImportCount = 10000;
inline constexpr int32_t kMaxUsesPerCode = 1000000;
// Possible codes of a length required per code generated (see
// PrepareGenerateSpec).
inline constexpr double kCodeSpacePerCode = 100000.0;

// Generated codes use digits and upper-case letters without the ones people
// confuse when reading a code off a screen or a receipt: 0/O, 1/I/L.
inline constexpr absl::string_view kGeneratedCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

struct PromoCodePool {
  std::string pool_id;
  std::string program_id;
  std::string name;
  PoolKind kind = PoolKind::kUnique;
  std::string code;               // SHARED pools only
  int32_t max_uses_per_code = 1;  // 0: unlimited (SHARED only)
  int32_t per_client_limit = 0;   // 0: no limit
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  std::string campaign_id;  // empty: none
  bool archived = false;
  int64_t code_count = 0;
  absl::Time create_time;
};

// Trims blanks and upper-cases, so that "  summer-10 " and "SUMMER-10" are
// one code; InvalidField(`field`) unless the result is 1..64 of A-Z, 0-9,
// '-' and '_'.
absl::StatusOr<std::string> NormaliseCode(absl::string_view text, absl::string_view field);

// Validates and normalises a pool about to be created, in place (trimmed
// name, normalised shared code, use limits by kind, schedule). Field paths
// in errors are prefixed with `field_prefix` (e.g. "pool.").
absl::Status PrepareNewPool(PromoCodePool& pool, absl::string_view field_prefix);

struct GenerateSpec {
  int count = 0;
  int length = 0;  // 0: kDefaultGeneratedLength
  std::string prefix;
};

// Validates a GenerateCodes request in place (default length, normalised
// prefix); refuses lengths whose code space is under kCodeSpacePerCode x
// `count`, where codes would be easy to guess.
absl::Status PrepareGenerateSpec(GenerateSpec& spec);

// One random code: `prefix` then `length` characters of the alphabet.
std::string RandomCode(absl::BitGenRef random, const GenerateSpec& spec);

// What a reservation is checked against, read under the code's lock.
struct CodeUsage {
  int64_t counted_uses = 0;  // consumed plus unexpired reserved uses
  int64_t client_uses = 0;   // the same, of this client in this pool
};

// OK when a new use of a code of `pool` may be reserved at `now`; otherwise
// FAILED_PRECONDITION naming `code` with a reason a cashier can read.
absl::Status CheckReservable(const PromoCodePool& pool, const CodeUsage& usage, bool has_client,
                             absl::Time now);

// OK when `pool` may hand a code to a client at `now` (IssuePromoCode);
// otherwise FAILED_PRECONDITION naming `pool_id`: archived, or past its end
// (the client could never use the code). A pool not yet valid may issue:
// the code waits for its start. Whether an unused code is left is the
// store's to find out.
absl::Status CheckIssuable(const PromoCodePool& pool, absl::Time now);

}  // namespace loyalty::campaigns
