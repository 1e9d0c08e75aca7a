#include "services/cards/domain/card_template.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

bool IsHostCharacter(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '.'; }

// host[:port] of an http(s) URL: a DNS name or IPv4 address, or an IPv6
// address in brackets; no user info.
bool ValidAuthority(absl::string_view authority) {
  if (authority.empty() || absl::StrContains(authority, '@')) return false;
  absl::string_view host = authority;
  absl::string_view port;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == absl::string_view::npos || close == 1) return false;
    for (char c : host.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return false;
    }
    absl::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    size_t colon = host.find(':');
    if (colon != absl::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return false;
    }
    if (host.empty() || host.front() == '.' || host.front() == '-' || host.back() == '-' ||
        absl::StrContains(host, "..")) {
      return false;
    }
    if (!std::all_of(host.begin(), host.end(), IsHostCharacter)) return false;
  }
  if (!port.empty()) {
    int number = 0;
    if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535 ||
        !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
      return false;
    }
  }
  return true;
}

absl::Status CheckBasisPoints(absl::string_view field, int32_t value) {
  if (value < 0 || value > kMaxBasisPoints) {
    return InvalidField(field, absl::StrCat("basis points, 0..", kMaxBasisPoints));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view CardKindName(CardKind kind) {
  switch (kind) {
    case CardKind::kBonus:
      return "BONUS";
    case CardKind::kDiscount:
      return "DISCOUNT";
    case CardKind::kUnspecified:
      break;
  }
  return "";
}

std::optional<CardKind> ParseCardKind(absl::string_view name) {
  return EnumByName<CardKind>(name, {CardKind::kBonus, CardKind::kDiscount}, CardKindName);
}

absl::Status NormalizeColor(absl::string_view field, std::string& color) {
  if (color.empty()) return absl::OkStatus();
  if (color.size() != 7 || color[0] != '#' ||
      !std::all_of(color.begin() + 1, color.end(), absl::ascii_isxdigit)) {
    return InvalidField(field, "must be #RRGGBB (hex)");
  }
  absl::AsciiStrToUpper(&color);
  return absl::OkStatus();
}

absl::Status ValidateImageUrl(absl::string_view field, absl::string_view url) {
  if (url.empty()) return absl::OkStatus();
  if (url.size() > kMaxUrlLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxUrlLength, " characters"));
  }
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return InvalidField(field, "must be ASCII without spaces (percent-encode the rest)");
    }
  }
  absl::string_view rest;
  if (absl::StartsWithIgnoreCase(url, "https://")) {
    rest = url.substr(8);
  } else if (absl::StartsWithIgnoreCase(url, "http://")) {
    rest = url.substr(7);
  } else {
    return InvalidField(field, "must be an absolute http:// or https:// URL");
  }
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (!ValidAuthority(authority)) return InvalidField(field, "has no valid host");
  return absl::OkStatus();
}

absl::Status NormalizeTemplateSpec(TemplateSpec& spec, absl::string_view prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(prefix, name); };
  if (absl::Status s = NormalizeName(field("name"), spec.name); !s.ok()) return s;
  if (absl::Status s = NormalizeText(field("description"), spec.description, kMaxDescriptionLength);
      !s.ok()) {
    return s;
  }
  if (spec.kind != CardKind::kBonus && spec.kind != CardKind::kDiscount) {
    return InvalidField(field("kind"), "required: BONUS or DISCOUNT");
  }
  if (absl::Status s = NormalizeUuid(field("level_type_id"), spec.level_type_id, true); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckBasisPoints(field("discount_bp"), spec.discount_bp); !s.ok()) return s;
  if (spec.kind == CardKind::kBonus && spec.discount_bp != 0) {
    return InvalidField(field("discount_bp"), "only DISCOUNT templates have a fixed discount");
  }
  if (spec.kind == CardKind::kDiscount && spec.discount_bp == 0 && spec.level_type_id.empty()) {
    return InvalidField(field("discount_bp"),
                        "a DISCOUNT template needs a discount (or a level type giving one)");
  }
  for (auto [name, color] :
       {std::pair<const char*, std::string*>{"background_color", &spec.background_color},
        {"foreground_color", &spec.foreground_color},
        {"label_color", &spec.label_color}}) {
    if (absl::Status s = NormalizeColor(field(name), *color); !s.ok()) return s;
  }
  if (absl::Status s = ValidateImageUrl(field("logo_url"), spec.logo_url); !s.ok()) return s;
  WalletAppearance& wallet = spec.wallet;
  if (absl::Status s =
          NormalizeText(field("wallet.logo_text"), wallet.logo_text, kMaxLogoTextLength);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = NormalizeText(field("wallet.description"), wallet.description,
                                     kMaxWalletDescriptionLength);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateImageUrl(field("wallet.icon_url"), wallet.icon_url); !s.ok()) {
    return s;
  }
  return ValidateImageUrl(field("wallet.strip_image_url"), wallet.strip_image_url);
}

CardBenefits BenefitsOf(const TemplateSpec* card_template, const LevelBenefits* level) {
  CardBenefits benefits;
  if (card_template == nullptr) return benefits;
  benefits.kind =
      card_template->kind == CardKind::kDiscount ? CardKind::kDiscount : CardKind::kBonus;
  benefits.discount_bp = card_template->discount_bp;
  if (level != nullptr) {
    benefits.discount_bp = std::max(benefits.discount_bp, level->discount_bp);
    if (benefits.kind == CardKind::kBonus) benefits.accrual_bp = level->accrual_bp;
  }
  return benefits;
}

}  // namespace loyalty::cards
