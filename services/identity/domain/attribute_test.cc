#include "services/identity/domain/attribute.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

AttributeSpec Enum(std::string key, std::vector<std::string> values) {
  AttributeSpec spec{.key = std::move(key), .display_name = "Enum", .type = AttributeType::kEnum};
  for (std::string& value : values) {
    spec.allowed_values.push_back(AllowedValue{.key = value, .label = value});
  }
  return spec;
}

Attribute Defined(AttributeSpec spec) {
  EXPECT_TRUE(NormalizeAttributeSpec(spec, "attribute.").ok()) << spec.key;
  return Attribute{.spec = std::move(spec)};
}

std::vector<Attribute> Schema() {
  std::vector<Attribute> schema;
  schema.push_back(Defined({.key = "nickname", .display_name = "Nickname",
                            .type = AttributeType::kString,
                            .editable_by = AttributeEditor::kClient}));
  schema.push_back(Defined({.key = "shoe_size", .display_name = "Shoe size",
                            .type = AttributeType::kNumber, .number_scale = 1}));
  schema.push_back(Defined({.key = "has_car", .display_name = "Car", .type = AttributeType::kBool}));
  schema.push_back(Defined({.key = "wedding", .display_name = "Wedding", .type = AttributeType::kDate}));
  AttributeSpec status = Enum("tier", {"silver", "gold"});
  status.kind = AttributeKind::kStatusSystem;
  schema.push_back(Defined(status));
  AttributeSpec products = Enum("products", {"coffee", "tea", "cake"});
  products.type = AttributeType::kList;
  schema.push_back(Defined(products));
  schema.push_back(Defined({.key = "purchases", .display_name = "Purchases",
                            .type = AttributeType::kNumber, .number_scale = 2,
                            .kind = AttributeKind::kSystem}));
  Attribute old = Defined({.key = "old", .display_name = "Old", .type = AttributeType::kString});
  old.archived = true;
  schema.push_back(old);
  return schema;
}

AttributeValue Text(std::string key, AttributeType type, std::string text) {
  return AttributeValue{.key = std::move(key), .type = type, .text = std::move(text)};
}

absl::StatusOr<AttributeChanges> Validate(std::vector<AttributeValue> values,
                                          std::vector<std::string> clear = {},
                                          AttributeWriter writer = AttributeWriter::kOperator) {
  return ValidateAttributeChanges(Schema(), values, clear, writer, "values", "clear_keys");
}

TEST(AttributeSpecTest, FillsDefaultsAndChecksKeys) {
  AttributeSpec spec{.key = "shoe_size", .display_name = "  Shoe size ",
                     .type = AttributeType::kNumber};
  ASSERT_TRUE(NormalizeAttributeSpec(spec, "attribute.").ok());
  EXPECT_EQ(spec.display_name, "Shoe size");
  EXPECT_EQ(spec.kind, AttributeKind::kQuestionnaire);
  EXPECT_EQ(spec.editable_by, AttributeEditor::kOperator);
  AttributeSpec system{.key = "total", .display_name = "Total", .type = AttributeType::kNumber,
                       .kind = AttributeKind::kSystem};
  ASSERT_TRUE(NormalizeAttributeSpec(system, "attribute.").ok());
  EXPECT_EQ(system.editable_by, AttributeEditor::kSystem);
  for (const char* bad : {"", "Shoe", "1size", "shoe-size", "shoe size"}) {
    AttributeSpec bad_key = spec;
    bad_key.key = bad;
    EXPECT_EQ(ViolatedField(NormalizeAttributeSpec(bad_key, "attribute.")), "attribute.key")
        << bad;
  }
}

TEST(AttributeSpecTest, RefusesInconsistentDefinitions) {
  auto field = [](AttributeSpec spec) {
    return ViolatedField(NormalizeAttributeSpec(spec, "attribute."));
  };
  EXPECT_EQ(field({.key = "a", .display_name = "A"}), "attribute.type");
  EXPECT_EQ(field({.key = "a", .display_name = "A", .type = AttributeType::kString,
                   .number_scale = 2}),
            "attribute.number_scale");
  EXPECT_EQ(field({.key = "a", .display_name = "A", .type = AttributeType::kNumber,
                   .number_scale = 7}),
            "attribute.number_scale");
  EXPECT_EQ(field({.key = "a", .display_name = "A", .type = AttributeType::kEnum}),
            "attribute.allowed_values");
  EXPECT_EQ(field(Enum("a", {"x", "x"})), "attribute.allowed_values[1].key");
  EXPECT_EQ(field(Enum("a", {"x", "Bad Key"})), "attribute.allowed_values[1].key");
  AttributeSpec list_status = Enum("a", {"x"});
  list_status.type = AttributeType::kList;
  list_status.kind = AttributeKind::kStatusSystem;
  EXPECT_EQ(field(list_status), "attribute.type");
  EXPECT_EQ(field({.key = "a", .display_name = "A", .type = AttributeType::kNumber,
                   .editable_by = AttributeEditor::kOperator, .kind = AttributeKind::kSystem}),
            "attribute.editable_by");
  EXPECT_EQ(field({.key = "a", .display_name = "A", .type = AttributeType::kNumber,
                   .required_at_registration = true, .editable_by = AttributeEditor::kSystem}),
            "attribute.required_at_registration");
  EXPECT_EQ(field({.key = "a", .display_name = "A",
                   .type = static_cast<AttributeType>(42)}),
            "attribute.type");
}

TEST(AttributeSpecTest, MaskIsRequiredAndKeepsTheKey) {
  AttributeSpec stored = Enum("tier", {"silver"});
  AttributeSpec input = Enum("other", {"silver", "gold"});
  input.display_name = "Tier";
  EXPECT_EQ(ViolatedField(ApplyAttributeMask({}, input, stored)), "update_mask");
  EXPECT_EQ(ViolatedField(ApplyAttributeMask({"key"}, input, stored)), "update_mask");
  EXPECT_EQ(ViolatedField(ApplyAttributeMask({"colour"}, input, stored)), "update_mask");
  ASSERT_TRUE(ApplyAttributeMask({"display_name", "allowed_values"}, input, stored).ok());
  EXPECT_EQ(stored.key, "tier");
  EXPECT_EQ(stored.display_name, "Tier");
  EXPECT_EQ(stored.allowed_values.size(), 2u);
}

TEST(AttributeSpecTest, ChangesThatWouldStrandValuesAreRefused) {
  const AttributeSpec before = Enum("tier", {"silver", "gold"});
  AttributeSpec as_list = before;
  as_list.type = AttributeType::kList;
  EXPECT_TRUE(CheckAttributeChange(before, as_list, /*has_values=*/false, {}).ok());
  absl::Status type = CheckAttributeChange(before, as_list, /*has_values=*/true, {});
  EXPECT_EQ(type.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(type), "attribute.type");
  const AttributeSpec fewer = Enum("tier", {"gold"});
  EXPECT_TRUE(CheckAttributeChange(before, fewer, true, {"gold"}).ok());
  EXPECT_EQ(ViolatedField(CheckAttributeChange(before, fewer, true, {"silver"})),
            "attribute.allowed_values");
}

TEST(AttributeSpecTest, LimitPerProgram) {
  EXPECT_TRUE(CheckAttributeLimit(kMaxAttributesPerProgram - 1).ok());
  EXPECT_EQ(CheckAttributeLimit(kMaxAttributesPerProgram).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AttributeNumberTest, ParsesExactDecimals) {
  EXPECT_EQ(*ParseAttributeNumber("f", "12.5", 2), 1250);
  EXPECT_EQ(*ParseAttributeNumber("f", "-0.07", 2), -7);
  EXPECT_EQ(*ParseAttributeNumber("f", "007", 0), 7);
  EXPECT_EQ(*ParseAttributeNumber("f", "999999999999999999", 0), 999999999999999999);
  for (const char* bad : {"", "-", "1.", ".5", "1.234", "1e3", "12,5", "+1", "0x10",
                          "1000000000000000000", "nan"}) {
    EXPECT_EQ(ViolatedField(ParseAttributeNumber("f", bad, 2).status()), "f") << bad;
  }
  EXPECT_FALSE(ParseAttributeNumber("f", "1.5", 0).ok());
}

TEST(AttributeNumberTest, FormatsWithTheScale) {
  EXPECT_EQ(FormatAttributeNumber(1250, 2), "12.50");
  EXPECT_EQ(FormatAttributeNumber(-7, 2), "-0.07");
  EXPECT_EQ(FormatAttributeNumber(7, 0), "7");
  EXPECT_EQ(FormatAttributeNumber(5, 3), "0.005");
}

TEST(AttributeValuesTest, NormalisesEveryType) {
  AttributeValue list{.key = "products", .type = AttributeType::kList, .list = {"tea", "cake"}};
  AttributeValue flag{.key = "has_car", .type = AttributeType::kBool, .boolean = true};
  absl::StatusOr<AttributeChanges> changes =
      Validate({Text("nickname", AttributeType::kString, "  Bob "),
                Text("shoe_size", AttributeType::kNumber, "42.5"), flag,
                Text("wedding", AttributeType::kDate, "2020-02-29"),
                Text("tier", AttributeType::kEnum, "gold"), list});
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->set.size(), 6u);
  EXPECT_EQ(changes->set[0].text, "Bob");
  EXPECT_EQ(changes->set[1].number, 425);
  EXPECT_EQ(changes->set[1].text, "42.5");
  EXPECT_TRUE(changes->set[2].boolean);
  EXPECT_EQ(changes->set[3].text, "2020-02-29");
  EXPECT_EQ(changes->set[4].text, "gold");
  EXPECT_THAT(changes->set[5].list, ElementsAre("tea", "cake"));
}

TEST(AttributeValuesTest, ErrorsNameTheField) {
  auto field = [](std::vector<AttributeValue> values, std::vector<std::string> clear = {}) {
    return ViolatedField(Validate(std::move(values), std::move(clear)).status());
  };
  const AttributeValue ok = Text("nickname", AttributeType::kString, "Bob");
  // Unknown and archived attributes, a key twice.
  EXPECT_EQ(field({ok, Text("nope", AttributeType::kString, "x")}), "values[1].key");
  EXPECT_EQ(field({Text("old", AttributeType::kString, "x")}), "values[0].key");
  EXPECT_EQ(field({ok, ok}), "values[1].key");
  EXPECT_EQ(field({ok}, {"nickname"}), "clear_keys[0]");
  EXPECT_EQ(field({}, {"nope"}), "clear_keys[0]");
  // A value of the wrong type names the field that was sent.
  EXPECT_EQ(field({Text("shoe_size", AttributeType::kString, "42")}), "values[0].string_value");
  EXPECT_EQ(field({AttributeValue{.key = "shoe_size"}}), "values[0]");
  // Values outside the rules.
  EXPECT_EQ(field({Text("shoe_size", AttributeType::kNumber, "42.25")}),
            "values[0].number_value");
  EXPECT_EQ(field({Text("wedding", AttributeType::kDate, "2021-02-29")}), "values[0].date_value");
  EXPECT_EQ(field({Text("wedding", AttributeType::kDate, "2021-2-3")}), "values[0].date_value");
  EXPECT_EQ(field({Text("tier", AttributeType::kEnum, "platinum")}), "values[0].enum_value");
  EXPECT_EQ(field({AttributeValue{.key = "products", .type = AttributeType::kList,
                                  .list = {"tea", "beer"}}}),
            "values[0].list_value.values[1]");
  EXPECT_EQ(field({AttributeValue{.key = "products", .type = AttributeType::kList,
                                  .list = {"tea", "tea"}}}),
            "values[0].list_value.values[1]");
  EXPECT_EQ(field({Text("nickname", AttributeType::kString, "a\nb")}), "values[0].string_value");
  EXPECT_EQ(field({Text("nickname", AttributeType::kString, std::string(1001, 'x'))}),
            "values[0].string_value");
  // System attributes are the platform's.
  absl::Status system = Validate({Text("purchases", AttributeType::kNumber, "1")}).status();
  EXPECT_EQ(ViolatedField(system), "values[0].key");
  EXPECT_THAT(system.message(), HasSubstr("not editable"));
}

TEST(AttributeValuesTest, ClientChannelsWriteOnlyTheClientsAnswers) {
  EXPECT_TRUE(Validate({Text("nickname", AttributeType::kString, "Bob")}, {},
                       AttributeWriter::kClientChannel)
                  .ok());
  EXPECT_EQ(ViolatedField(Validate({Text("tier", AttributeType::kEnum, "gold")}, {},
                                   AttributeWriter::kClientChannel)
                              .status()),
            "values[0].key");
}

TEST(AttributeValuesTest, RequiredAtRegistration) {
  std::vector<Attribute> schema = Schema();
  schema[0].spec.required_at_registration = true;
  schema.back().spec.required_at_registration = true;  // archived: no longer required
  EXPECT_EQ(ViolatedField(CheckRequiredAtRegistration(schema, {}, "client.attributes")),
            "client.attributes");
  const AttributeValue nickname = Text("nickname", AttributeType::kString, "Bob");
  EXPECT_TRUE(CheckRequiredAtRegistration(schema, {&nickname, 1}, "client.attributes").ok());
}

TEST(AttributeSourceTest, CallersNameOnlyTheirOwnSources) {
  EXPECT_EQ(*ResolveRequestedSource("source", AttributeChangeSource::kUnspecified),
            AttributeChangeSource::kOperator);
  EXPECT_EQ(*ResolveRequestedSource("source", AttributeChangeSource::kCampaign),
            AttributeChangeSource::kCampaign);
  EXPECT_EQ(ViolatedField(
                ResolveRequestedSource("source", AttributeChangeSource::kRegistration).status()),
            "source");
  EXPECT_FALSE(ResolveRequestedSource("source", static_cast<AttributeChangeSource>(99)).ok());
}

}  // namespace
}  // namespace loyalty::identity
