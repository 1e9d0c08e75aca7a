#include "services/identity/domain/access_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace loyalty::identity {
namespace {

constexpr size_t kMinSecretBytes = 32;

std::string Hmac(absl::string_view secret, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

absl::Status Invalid() { return absl::UnauthenticatedError("invalid or expired access token"); }

bool ValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (unsigned char c : id) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<SigningKey>> ParseSigningKeys(absl::string_view text) {
  std::vector<SigningKey> keys;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    size_t colon = entry.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("signing key ", keys.size() + 1, " is not <key id>:<secret>"));
    }
    SigningKey key{std::string(entry.substr(0, colon)), std::string(entry.substr(colon + 1))};
    if (!ValidKeyId(key.key_id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "signing key ", keys.size() + 1, ": key id must be 1..32 of a-z, 0-9, '_', '-'"));
    }
    if (key.secret.size() < kMinSecretBytes) {
      return absl::InvalidArgumentError(absl::StrCat("signing key '", key.key_id,
                                                     "': secret shorter than ", kMinSecretBytes,
                                                     " bytes"));
    }
    for (const SigningKey& other : keys) {
      if (other.key_id == key.key_id) {
        return absl::InvalidArgumentError(
            absl::StrCat("signing key id '", key.key_id, "' appears twice"));
      }
    }
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return absl::InvalidArgumentError("no signing key");
  return keys;
}

TokenSigner::TokenSigner(std::vector<SigningKey> keys, absl::Duration lifetime, Clock clock)
    : keys_(std::move(keys)),
      lifetime_(lifetime),
      clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })) {}

std::string TokenSigner::Sign(TokenClaims& claims) const {
  const SigningKey& key = keys_.front();
  // Whole seconds: what the token carries is what Verify returns.
  claims.issue_time = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_()));
  claims.expire_time = claims.issue_time + lifetime_;
  claims.key_id = key.key_id;
  std::string payload = absl::StrCat(key.key_id, "|", claims.program_id, "|", claims.operator_id,
                                     "|", claims.role, "|", absl::ToUnixSeconds(claims.issue_time),
                                     "|", absl::ToUnixSeconds(claims.expire_time), "|",
                                     claims.credentials_version);
  std::string signed_part = absl::StrCat(kAccessTokenPrefix, absl::WebSafeBase64Escape(payload));
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(Hmac(key.secret, signed_part)));
}

absl::StatusOr<TokenClaims> TokenSigner::Verify(absl::string_view token) const {
  if (token.size() > 1024 || !absl::StartsWith(token, kAccessTokenPrefix)) return Invalid();
  size_t dot = token.rfind('.');
  if (dot < kAccessTokenPrefix.size()) return Invalid();
  absl::string_view signed_part = token.substr(0, dot);
  std::string payload;
  std::string signature;
  if (!absl::WebSafeBase64Unescape(signed_part.substr(kAccessTokenPrefix.size()), &payload) ||
      !absl::WebSafeBase64Unescape(token.substr(dot + 1), &signature)) {
    return Invalid();
  }
  std::vector<std::string> fields = absl::StrSplit(payload, '|');
  if (fields.size() != 7) return Invalid();
  const SigningKey* key = nullptr;
  for (const SigningKey& candidate : keys_) {
    if (candidate.key_id == fields[0]) key = &candidate;
  }
  if (key == nullptr) return Invalid();
  std::string expected = Hmac(key->secret, signed_part);
  // Constant time: the comparison must not tell how much of a forgery fits.
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Invalid();
  }
  TokenClaims claims;
  int64_t issued = 0;
  int64_t expires = 0;
  if (!absl::SimpleAtoi(fields[4], &issued) || !absl::SimpleAtoi(fields[5], &expires) ||
      !absl::SimpleAtoi(fields[6], &claims.credentials_version)) {
    return Invalid();
  }
  claims.key_id = fields[0];
  claims.program_id = fields[1];
  claims.operator_id = fields[2];
  claims.role = fields[3];
  claims.issue_time = absl::FromUnixSeconds(issued);
  claims.expire_time = absl::FromUnixSeconds(expires);
  if (clock_() >= claims.expire_time) return Invalid();
  return claims;
}

}  // namespace loyalty::identity
