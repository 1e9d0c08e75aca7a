#include "services/campaigns/domain/promo_code.h"

#include <cmath>

#include "absl/random/distributions.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "services/campaigns/domain/campaign.h"

namespace loyalty::campaigns {
namespace {

bool IsCodeChar(char c) {
  return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '-' || c == '_';
}

std::string Normalised(absl::string_view text) {
  return absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
}

absl::Status CheckCodeChars(absl::string_view code, absl::string_view field, int max_chars) {
  for (char c : code) {
    if (!IsCodeChar(c)) {
      return InvalidField(field, "may hold only letters A-Z, digits, '-' and '_'");
    }
  }
  if (static_cast<int>(code.size()) > max_chars) {
    return InvalidField(field, absl::StrCat("longer than ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

absl::Status Refuse(absl::string_view reason) {
  return FieldError(absl::StatusCode::kFailedPrecondition, "code", reason);
}

}  // namespace

absl::StatusOr<std::string> NormaliseCode(absl::string_view text, absl::string_view field) {
  std::string code = Normalised(text);
  if (code.empty()) return InvalidField(field, "is required");
  absl::Status status = CheckCodeChars(code, field, kMaxCodeChars);
  if (!status.ok()) return status;
  return code;
}

absl::Status PrepareNewPool(PromoCodePool& pool, absl::string_view field_prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(field_prefix, name); };
  pool.name = std::string(absl::StripAsciiWhitespace(pool.name));
  int name_chars = CountChars(pool.name);
  if (name_chars < 1 || name_chars > kMaxNameChars) {
    return InvalidField(field("name"), absl::StrCat("must be 1..", kMaxNameChars, " characters"));
  }
  if (pool.max_uses_per_code < 0 || pool.max_uses_per_code > kMaxUsesPerCode) {
    return InvalidField(field("max_uses_per_code"),
                        absl::StrCat("must be within 0..", kMaxUsesPerCode));
  }
  if (pool.per_client_limit < 0 || pool.per_client_limit > kMaxUsesPerCode) {
    return InvalidField(field("per_client_limit"),
                        absl::StrCat("must be within 0..", kMaxUsesPerCode));
  }
  if (pool.kind == PoolKind::kShared) {
    absl::StatusOr<std::string> code = NormaliseCode(pool.code, field("code"));
    if (!code.ok()) return code.status();
    pool.code = *std::move(code);
  } else {
    if (!pool.code.empty()) {
      return InvalidField(field("code"), "only a SHARED pool has a code of its own");
    }
    // Unlimited uses of a code meant for one client would defeat it.
    if (pool.max_uses_per_code == 0) {
      return InvalidField(field("max_uses_per_code"), "must be at least 1 for a UNIQUE pool");
    }
  }
  if (pool.start_time && pool.end_time && *pool.end_time <= *pool.start_time) {
    return InvalidField(field("end_time"), "must follow start_time");
  }
  pool.archived = false;
  return absl::OkStatus();
}

absl::Status PrepareGenerateSpec(GenerateSpec& spec) {
  if (spec.count < 1 || spec.count > kMaxGenerateCount) {
    return InvalidField("count", absl::StrCat("must be within 1..", kMaxGenerateCount));
  }
  if (spec.length == 0) spec.length = kDefaultGeneratedLength;
  if (spec.length < kMinGeneratedLength || spec.length > kMaxGeneratedLength) {
    return InvalidField(
        "length", absl::StrCat("must be within ", kMinGeneratedLength, "..", kMaxGeneratedLength));
  }
  spec.prefix = Normalised(spec.prefix);
  absl::Status prefix = CheckCodeChars(spec.prefix, "prefix", kMaxPrefixChars);
  if (!prefix.ok()) return prefix;
  // A hundred thousand possible codes per generated one: a guessed code
  // hits one of the pool's at most once in 100000 tries, and collisions
  // (redrawn by the store) stay rare.
  double space = std::pow(static_cast<double>(kGeneratedCodeAlphabet.size()), spec.length);
  if (space < kCodeSpacePerCode * spec.count) {
    return InvalidField("length", "too short for that many codes to stay hard to guess");
  }
  return absl::OkStatus();
}

std::string RandomCode(absl::BitGenRef random, const GenerateSpec& spec) {
  std::string code = spec.prefix;
  code.reserve(spec.prefix.size() + spec.length);
  for (int i = 0; i < spec.length; ++i) {
    code.push_back(
        kGeneratedCodeAlphabet[absl::Uniform<size_t>(random, 0, kGeneratedCodeAlphabet.size())]);
  }
  return code;
}

absl::Status CheckReservable(const PromoCodePool& pool, const CodeUsage& usage, bool has_client,
                             absl::Time now) {
  if (pool.archived) return Refuse("the promotion of this code has been withdrawn");
  if (pool.start_time && now < *pool.start_time) {
    return Refuse("this code is not valid yet");
  }
  if (pool.end_time && now >= *pool.end_time) return Refuse("this code has expired");
  if (pool.max_uses_per_code > 0 && usage.counted_uses >= pool.max_uses_per_code) {
    return Refuse("this code has already been used up");
  }
  if (pool.per_client_limit > 0) {
    if (!has_client) return Refuse("this code needs an identified client");
    if (usage.client_uses >= pool.per_client_limit) {
      return Refuse("the client has already used this promotion the maximum number of times");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckIssuable(const PromoCodePool& pool, absl::Time now) {
  if (pool.archived) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "pool_id",
                      absl::StrCat("promo code pool ", pool.pool_id, " is archived"));
  }
  if (pool.end_time && now >= *pool.end_time) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "pool_id",
                      absl::StrCat("promo code pool ", pool.pool_id, " has ended"));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::campaigns
