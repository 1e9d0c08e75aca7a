#pragma once

// The rest of the CLI-1 profile (city, car, extra keys, external id,
// referral, UTM, device, issuance form, store, social links), partial
// updates by field mask, etags, and the keys a client is identified by
// (CLI-4). Pure logic, no I/O.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

inline constexpr size_t kMaxSocialProfiles = 10;

// Validates and normalises the fields NormalizeProfile leaves to this file
// (everything after marketing_consent), naming fields under `field_prefix`:
// free text is trimmed, UTF-8 without control characters and within its
// length; codes (referral code, issuance form, network) are checked and
// case-folded; URLs are absolute http(s) with a host; the referrer is a
// UUID (whether that client exists is the store's question).
absl::Status NormalizeProfileExtras(ClientProfile& profile, absl::string_view field_prefix);

// Applies an update mask: every path takes its value from `input` into
// `stored`. Paths are Client field names. INVALID_ARGUMENT naming
// `update_mask` for an empty mask, an unknown path, or an output-only field
// (client_id, phone_verified, email_verified, etag, create_time,
// update_time). The result still needs NormalizeProfile.
absl::Status ApplyClientMask(const std::vector<std::string>& paths, const ClientProfile& input,
                             ClientProfile& stored);

// The Client field paths whose values differ, in field order.
std::vector<std::string> ChangedClientFields(const ClientProfile& before,
                                             const ClientProfile& after);

// Adds the values `profile` has at `paths` (Client field paths, as from
// ChangedClientFields) to an audit entry's fields, spelled as the HTTP API
// spells them.
void AddClientFieldsToAudit(const ClientProfile& profile, const std::vector<std::string>& paths,
                            AuditFields& out);

// Opaque etag of a row version, and back. A string that is no etag of ours
// is INVALID_ARGUMENT naming `field`.
std::string EtagOfVersion(int64_t version);
absl::StatusOr<int64_t> VersionOfEtag(absl::string_view etag, absl::string_view field);

// ABORTED naming `field` when an etag the caller sent (`expected`, zero
// when none was sent) is not the stored version: someone changed the client
// since the caller read it.
absl::Status CheckVersion(int64_t expected, int64_t stored, absl::string_view field);

// A client's own id may not be its referrer.
absl::Status CheckReferrer(absl::string_view client_id, const ClientProfile& profile,
                           absl::string_view field_prefix);

// What IdentifyClient looks a client up by.
enum class IdentifyKind { kPhone, kEmail, kExternalId, kCardNumber };

struct IdentifyKey {
  IdentifyKind kind = IdentifyKind::kPhone;
  std::string value;  // normalised as stored (E.164 phone, lower-case e-mail)
};

// What the caller sent; empty strings are keys not given.
struct IdentifyInput {
  std::string phone;
  std::string card_number;
  std::string external_id;
  std::string email;
};

// Exactly one key must be given (INVALID_ARGUMENT naming the keys
// otherwise); it is normalised the way registration stores it, with the
// program's `default_country_code` for phones, and an unusable value is
// INVALID_ARGUMENT naming its field.
absl::StatusOr<IdentifyKey> ChooseIdentifyKey(const IdentifyInput& input,
                                              absl::string_view default_country_code);

}  // namespace loyalty::identity
