#include "services/identity/domain/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// Code points of valid UTF-8 (continuation bytes not counted).
size_t CharacterCount(absl::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace

absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view login,
                                 absl::string_view field) {
  if (password.size() > kMaxPasswordBytes) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxPasswordBytes, " bytes"));
  }
  if (CharacterCount(password) < kMinPasswordLength) {
    return InvalidField(field,
                        absl::StrCat("must have at least ", kMinPasswordLength, " characters"));
  }
  bool all_letters = true;
  bool all_digits = true;
  for (unsigned char c : password) {
    if (!absl::ascii_isalpha(c)) all_letters = false;
    if (!absl::ascii_isdigit(c)) all_digits = false;
  }
  if (all_letters || all_digits) {
    return InvalidField(field, "must mix letters with digits or other characters");
  }
  // Logins are stored lower-case; this Abseil has no StrContainsIgnoreCase.
  if (!login.empty() && absl::StrContains(absl::AsciiStrToLower(password), login)) {
    return InvalidField(field, "must not contain the login");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordHashCost& cost) {
  unsigned char salt[kSaltBytes];
  // A salt need not be secret, but must never repeat: the CSPRNG again.
  if (RAND_bytes(salt, sizeof(salt)) != 1) std::abort();
  std::string encoded(argon2_encodedlen(cost.passes, cost.memory_kib, cost.lanes, kSaltBytes,
                                        kHashBytes, Argon2_id),
                      '\0');
  int result = argon2id_hash_encoded(cost.passes, cost.memory_kib, cost.lanes, password.data(),
                                     password.size(), salt, sizeof(salt), kHashBytes,
                                     encoded.data(), encoded.size());
  if (result != ARGON2_OK) {
    return absl::InternalError(
        absl::StrCat("password hashing failed: ", argon2_error_message(result)));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(absl::string_view encoded, absl::string_view password) {
  // argon2 wants a NUL-terminated string.
  const std::string terminated(encoded);
  return absl::StartsWith(terminated, "$argon2id$") &&
         argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& DecoyPasswordHash() {
  static const std::string* const kDecoy = [] {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof(random)) != 1) std::abort();
    absl::StatusOr<std::string> hash =
        HashPassword(absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
    if (!hash.ok()) std::abort();
    return new std::string(*std::move(hash));
  }();
  return *kDecoy;
}

}  // namespace loyalty::identity
