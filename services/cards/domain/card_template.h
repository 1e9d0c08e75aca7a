#pragma once

// Card templates ("layouts", CRD-1) and what a card gets at the till from
// its template and level (CRD-10). Pure logic: no gRPC, SQL or Redis here.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/definition.h"

namespace loyalty::cards {

// Mirrors loyalty.cards.v1.CardKind, value for value.
enum class CardKind { kUnspecified = 0, kBonus = 1, kDiscount = 2 };

// Stable names used in storage ("BONUS", "DISCOUNT").
absl::string_view CardKindName(CardKind kind);
std::optional<CardKind> ParseCardKind(absl::string_view name);

// Percentages are integer basis points: 10000 = 100%.
inline constexpr int32_t kMaxBasisPoints = 10000;

struct WalletAppearance {
  std::string logo_text;
  std::string description;
  std::string icon_url;
  std::string strip_image_url;

  friend bool operator==(const WalletAppearance&, const WalletAppearance&) = default;
};

inline constexpr size_t kMaxLogoTextLength = 40;
inline constexpr size_t kMaxWalletDescriptionLength = 200;
inline constexpr size_t kMaxUrlLength = 2048;

// What a client sets on a template.
struct TemplateSpec {
  std::string name;
  std::string description;
  CardKind kind = CardKind::kUnspecified;
  std::string level_type_id;  // empty: no levels
  int32_t discount_bp = 0;
  std::string background_color;  // "#RRGGBB" or empty
  std::string foreground_color;
  std::string label_color;
  std::string logo_url;
  WalletAppearance wallet;

  friend bool operator==(const TemplateSpec&, const TemplateSpec&) = default;
};

struct CardTemplate {
  std::string template_id;
  TemplateSpec spec;
  DefinitionState state = DefinitionState::kActive;
  int64_t version = 1;
  absl::Time create_time;
  absl::Time update_time;
};

// Normalises (trims text, upper-cases colours, lower-cases the level type
// id) and checks a template, naming the first bad field under `prefix`
// (e.g. "template." gives "template.logo_url").
absl::Status NormalizeTemplateSpec(TemplateSpec& spec, absl::string_view prefix);

// "#RRGGBB" with hex digits of either case; upper-cases them. Empty is fine
// (the wallet's default colour).
absl::Status NormalizeColor(absl::string_view field, std::string& color);

// An absolute http or https URL with a host, no white space or control
// characters, at most kMaxUrlLength bytes. Empty is fine (no image).
absl::Status ValidateImageUrl(absl::string_view field, absl::string_view url);

// --- Benefits ----------------------------------------------------------------

// What a card gets at the till. Mirrors loyalty.cards.v1.CardBenefits.
struct CardBenefits {
  CardKind kind = CardKind::kBonus;
  int32_t discount_bp = 0;
  int32_t accrual_bp = 0;

  friend bool operator==(const CardBenefits&, const CardBenefits&) = default;
};

// The part of a level that benefits depend on.
struct LevelBenefits {
  int32_t discount_bp = 0;
  int32_t accrual_bp = 0;
};

// A card without a template is a plain bonus card. The discount is the
// larger of the template's fixed one and the level's; discount cards earn
// no points, so their accrual rate is 0.
CardBenefits BenefitsOf(const TemplateSpec* card_template, const LevelBenefits* level);

}  // namespace loyalty::cards
