#pragma once

// Consents of members (CLI-3): the rules of a change and the derivation of
// the current state from the append-only history. Pure logic, no I/O.
//
// Kinds and sources are the numbers of loyalty.identity.v1.ConsentKind and
// ConsentSource, so that storage and events carry the contract's values.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace loyalty::identity {

enum class ConsentKind {
  kMarketing = 1,
  kPersonalDataProcessing = 2,
  kThirdPartyTransfer = 3,
  kSmsSubscription = 4,
  kEmailSubscription = 5,
  kPushSubscription = 6,
  kTelegramSubscription = 7,
  kViberSubscription = 8,
};
inline constexpr int kMaxConsentKind = 8;

enum class ConsentSource {
  kRegistration = 1,
  kPos = 2,
  kOperator = 3,
  kClientWeb = 4,
  kClientApp = 5,
  kImport = 6,
  kApi = 7,
};
inline constexpr int kMaxConsentSource = 7;

// Who wrote a record, from the call's credentials.
struct Principal {
  std::string principal_id;  // API key or operator id
  std::string role;          // e.g. "ROLE_POS"
};

struct ConsentChange {
  ConsentKind kind = ConsentKind::kMarketing;
  bool given = false;
  ConsentSource source = ConsentSource::kApi;
  std::string text_version;
  absl::Time consent_time;
};

struct ConsentRecord {
  int64_t seq = 0;  // write order
  std::string record_id;
  ConsentChange change;
  absl::Time record_time;
  Principal recorded_by;
};

inline constexpr size_t kMaxConsentChanges = 20;
inline constexpr size_t kMaxTextVersionLength = 64;
// How far ahead of the server's clock a stated consent time may be.
inline constexpr absl::Duration kConsentClockSkew = absl::Minutes(5);

// Checks the changes of one call as they come from a caller (kind and
// source as raw contract numbers, already range-checked by the caller into
// `changes`): 1..20 changes, one per kind, a text version when given, no
// REGISTRATION source, a consent time not after now + skew. Field paths are
// "changes[i].<field>".
absl::Status ValidateConsentChanges(absl::Span<const ConsentChange> changes, absl::Time now);

// True when `a` supersedes `b` in the current state: a later consent time,
// or an equal one written later.
bool Supersedes(const ConsentRecord& a, const ConsentRecord& b);

// The current record of every kind present in `history` (any order).
std::map<ConsentKind, ConsentRecord> CurrentConsents(absl::Span<const ConsentRecord> history);

// Kinds whose effective state (given or not; no record counts as not
// given) differs between two current states.
std::vector<ConsentKind> ChangedKinds(const std::map<ConsentKind, ConsentRecord>& before,
                                      const std::map<ConsentKind, ConsentRecord>& after);

// Whether `kind` is given in a current state.
bool IsGiven(const std::map<ConsentKind, ConsentRecord>& current, ConsentKind kind);

}  // namespace loyalty::identity
