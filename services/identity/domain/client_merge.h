#pragma once

// Merging a duplicate client into a survivor (CLI-7): which profile values
// the survivor takes over. Pure logic, no I/O.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/identity/domain/client.h"

namespace loyalty::identity {

// Fills each field the survivor has no value for (an empty text, no birth
// date, an unspecified gender, no social profiles) with the duplicate's
// value, field by field: contacts and keys (phone, email, external_id,
// referral_code), names, birth date, gender, city, car number, extra keys,
// referrer (unless it is the survivor itself) and social profiles. The
// survivor's registration facts (UTM fields, device, issuance form,
// registration store) stay its own, and `marketing_consent` follows the
// merged consent history instead. Returns the filled field paths in
// Client field order.
std::vector<std::string> FillMissingFields(ClientProfile& survivor,
                                           const ClientProfile& duplicate,
                                           absl::string_view survivor_id);

}  // namespace loyalty::identity
