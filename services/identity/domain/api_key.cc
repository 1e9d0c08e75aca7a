#include "absl/strings/string_view.h"
#include "services/identity/domain/api_key.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

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

}  // namespace loyalty::identity
