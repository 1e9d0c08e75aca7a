#include "services/cards/domain/card_template.h"

#include <string>

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/cards/domain/definition.h"

namespace loyalty::cards {
namespace {

TemplateSpec ValidBonus() {
  return TemplateSpec{.name = "  Standard  ",
                      .kind = CardKind::kBonus,
                      .background_color = "#1a2b3c",
                      .logo_url = "https://cdn.example.ru/logo.png"};
}

std::optional<std::string> FieldOf(TemplateSpec spec) {
  return ViolatedField(NormalizeTemplateSpec(spec, "template."));
}

TEST(TemplateSpecTest, NormalizesValidTemplate) {
  TemplateSpec spec = ValidBonus();
  ASSERT_TRUE(NormalizeTemplateSpec(spec, "template.").ok());
  EXPECT_EQ(spec.name, "Standard");
  EXPECT_EQ(spec.background_color, "#1A2B3C");
}

TEST(TemplateSpecTest, NamesTheBadField) {
  TemplateSpec spec = ValidBonus();
  spec.name = "   ";
  EXPECT_EQ(FieldOf(spec), "template.name");
  spec = ValidBonus();
  spec.name = std::string(101, 'x');
  EXPECT_EQ(FieldOf(spec), "template.name");
  spec = ValidBonus();
  spec.name = std::string(100, 'x');
  EXPECT_EQ(FieldOf(spec), std::nullopt);
  spec.name = "\xff\xfe";  // not UTF-8
  EXPECT_EQ(FieldOf(spec), "template.name");

  spec = ValidBonus();
  spec.kind = CardKind::kUnspecified;
  EXPECT_EQ(FieldOf(spec), "template.kind");
  spec = ValidBonus();
  spec.level_type_id = "not-a-uuid";
  EXPECT_EQ(FieldOf(spec), "template.level_type_id");
  spec = ValidBonus();
  spec.foreground_color = "red";
  EXPECT_EQ(FieldOf(spec), "template.foreground_color");
  spec = ValidBonus();
  spec.wallet.strip_image_url = "ftp://example.ru/strip.png";
  EXPECT_EQ(FieldOf(spec), "template.wallet.strip_image_url");
  spec = ValidBonus();
  spec.wallet.logo_text = std::string(41, 'x');
  EXPECT_EQ(FieldOf(spec), "template.wallet.logo_text");
}

TEST(TemplateSpecTest, DiscountRules) {
  TemplateSpec spec = ValidBonus();
  spec.discount_bp = 500;  // bonus cards have no fixed discount
  EXPECT_EQ(FieldOf(spec), "template.discount_bp");

  spec.kind = CardKind::kDiscount;
  EXPECT_EQ(FieldOf(spec), std::nullopt);
  spec.discount_bp = 10001;
  EXPECT_EQ(FieldOf(spec), "template.discount_bp");
  spec.discount_bp = -1;
  EXPECT_EQ(FieldOf(spec), "template.discount_bp");
  spec.discount_bp = 0;  // a discount card needs a discount from somewhere
  EXPECT_EQ(FieldOf(spec), "template.discount_bp");
  spec.level_type_id = "6F1C2B1E-3A4D-4C5B-9E8F-0A1B2C3D4E5F";  // ... its levels may give it
  EXPECT_EQ(FieldOf(spec), std::nullopt);
}

TEST(ColorTest, OnlyHashAndSixHexDigits) {
  for (std::string good : {"#000000", "#ffffff", "#A1b2C3", ""}) {
    EXPECT_TRUE(NormalizeColor("c", good).ok()) << good;
  }
  for (std::string bad : {"000000", "#fff", "#0000000", "#GG0000", "#12345 ", " #123456"}) {
    EXPECT_EQ(ViolatedField(NormalizeColor("c", bad)), "c") << bad;
  }
}

TEST(UrlTest, AbsoluteHttpWithHost) {
  for (const char* good : {"https://example.ru", "http://example.ru/a/b.png?x=1#f",
                           "HTTPS://CDN.Example.ru:8443/l.png", "https://[2001:db8::1]/logo.png",
                           "https://127.0.0.1:80/x", ""}) {
    EXPECT_TRUE(ValidateImageUrl("u", good).ok()) << good;
  }
  for (const char* bad :
       {"example.ru/logo.png", "javascript:alert(1)", "https://", "https:///logo.png",
        "https://exa mple.ru", "https://user@example.ru/", "https://example.ru:0/",
        "https://example.ru:99999/", "https://example.ru:/x", "https://-bad.ru/", "https://a..b/",
        "https://пример.рф/", "data:image/png;base64,AAAA"}) {
    EXPECT_EQ(ViolatedField(ValidateImageUrl("u", bad)), "u") << bad;
  }
  EXPECT_EQ(ViolatedField(ValidateImageUrl("u", "https://e.ru/" + std::string(2048, 'a'))), "u");
}

TEST(BenefitsTest, FromTemplateAndLevel) {
  // No template: a plain bonus card.
  EXPECT_EQ(BenefitsOf(nullptr, nullptr), (CardBenefits{CardKind::kBonus, 0, 0}));

  TemplateSpec bonus{.kind = CardKind::kBonus};
  LevelBenefits gold{.discount_bp = 300, .accrual_bp = 700};
  EXPECT_EQ(BenefitsOf(&bonus, nullptr), (CardBenefits{CardKind::kBonus, 0, 0}));
  EXPECT_EQ(BenefitsOf(&bonus, &gold), (CardBenefits{CardKind::kBonus, 300, 700}));

  // Discount cards: the larger discount, never points.
  TemplateSpec discount{.kind = CardKind::kDiscount, .discount_bp = 500};
  EXPECT_EQ(BenefitsOf(&discount, nullptr), (CardBenefits{CardKind::kDiscount, 500, 0}));
  EXPECT_EQ(BenefitsOf(&discount, &gold), (CardBenefits{CardKind::kDiscount, 500, 0}));
  LevelBenefits platinum{.discount_bp = 1000, .accrual_bp = 900};
  EXPECT_EQ(BenefitsOf(&discount, &platinum), (CardBenefits{CardKind::kDiscount, 1000, 0}));
}

TEST(DefinitionTest, Etags) {
  EXPECT_EQ(EtagOf(7), "7");
  auto parsed = ParseEtag("etag", "7");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, 7);
  EXPECT_EQ(ParseEtag("etag", "").value(), std::nullopt);
  for (const char* bad : {"0", "-1", "07", "x", "1 ", "99999999999999999999"}) {
    EXPECT_EQ(ViolatedField(ParseEtag("t.etag", bad).status()), "t.etag") << bad;
  }
  EXPECT_TRUE(CheckVersion("etag", std::nullopt, 3).ok());
  EXPECT_TRUE(CheckVersion("etag", 3, 3).ok());
  absl::Status stale = CheckVersion("t.etag", 2, 3);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ViolatedField(stale), "t.etag");
}

TEST(DefinitionTest, TextAndIds) {
  std::string text = "  line one\nline two\t ";
  EXPECT_TRUE(NormalizeText("d", text, 100).ok());
  EXPECT_EQ(text, "line one\nline two");
  std::string control = "a\x01z";
  EXPECT_EQ(ViolatedField(NormalizeText("d", control, 100)), "d");
  std::string cyrillic = "Золотой";  // 7 characters, 14 bytes
  EXPECT_TRUE(NormalizeText("d", cyrillic, 7).ok());
  cyrillic = "Золотой";
  EXPECT_FALSE(NormalizeText("d", cyrillic, 6).ok());

  std::string id = "6F1C2B1E-3A4D-4C5B-9E8F-0A1B2C3D4E5F";
  EXPECT_TRUE(NormalizeUuid("id", id).ok());
  EXPECT_EQ(id, "6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f");
  std::string empty;
  EXPECT_EQ(ViolatedField(NormalizeUuid("id", empty)), "id");
  EXPECT_TRUE(NormalizeUuid("id", empty, /*optional=*/true).ok());
  EXPECT_EQ(ViolatedField(ValidateRequestId(std::string(129, 'r'))), "request_id");
  EXPECT_TRUE(ValidateRequestId(std::string(128, 'r')).ok());
}

}  // namespace
}  // namespace loyalty::cards
