#include "absl/strings/string_view.h"
#include "services/identity/domain/api_key.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::identity {

std::string NewApiKeySecret() {
  unsigned char bytes[20];
  // A key is a bearer credential: it needs the operating system's CSPRNG.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return "lk_" + absl::BytesToHexString(
                     absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::string HashApiKeySecret(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::Status ValidateApiKeyBinding(absl::string_view role, absl::string_view display_name,
                                   absl::string_view store_id, absl::string_view partner_id,
                                   absl::string_view prefix) {
  if (role.empty() || role == "ROLE_UNSPECIFIED") {
    return InvalidField(absl::StrCat(prefix, "role"), "a role is required");
  }
  if (display_name.size() > 200) {
    return InvalidField(absl::StrCat(prefix, "display_name"), "longer than 200 bytes");
  }
  if (store_id.size() > 128) {
    return InvalidField(absl::StrCat(prefix, "store_id"), "longer than 128 bytes");
  }
  if (partner_id.size() > 128) {
    return InvalidField(absl::StrCat(prefix, "partner_id"), "longer than 128 bytes");
  }
  if (role == "ROLE_POS" && store_id.empty()) {
    return InvalidField(absl::StrCat(prefix, "store_id"), "required for a ROLE_POS key");
  }
  if (role == "ROLE_PARTNER" && partner_id.empty()) {
    return InvalidField(absl::StrCat(prefix, "partner_id"), "required for a ROLE_PARTNER key");
  }
  return absl::OkStatus();
}

}  // namespace loyalty::identity
