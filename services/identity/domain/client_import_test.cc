#include "services/identity/domain/client_import.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;

constexpr absl::CivilDay kToday(2026, 11, 22);

std::vector<ImportColumn> Columns(const std::vector<RequestedColumn>& requested,
                                  const std::vector<std::string>& header) {
  absl::StatusOr<std::vector<ImportColumn>> columns = ResolveColumns(header, requested, {}, {});
  EXPECT_TRUE(columns.ok()) << columns.status();
  return columns.value_or(std::vector<ImportColumn>{});
}

TEST(ClientImportTest, ResolvesColumnsByHeaderName) {
  absl::StatusOr<std::vector<ImportColumn>> columns = ResolveColumns(
      {"Name", " Phone ", "ignored"}, {{"Phone", "phone"}, {"Name", "first_name"}}, {"phone"}, {});
  ASSERT_TRUE(columns.ok()) << columns.status();
  ASSERT_EQ(columns->size(), 2u);
  EXPECT_EQ((*columns)[0].index, 1);
  EXPECT_EQ((*columns)[0].field, "phone");
  EXPECT_EQ((*columns)[1].index, 0);
}

TEST(ClientImportTest, MappingErrorsNameTheRequestField) {
  const std::vector<std::string> header = {"phone", "name", "name2", "dup", "dup"};
  auto field_of = [&](const std::vector<RequestedColumn>& requested,
                      const std::vector<std::string>& keys = {}) {
    return ViolatedField(ResolveColumns(header, requested, keys, {}).status()).value_or("");
  };
  EXPECT_EQ(field_of({}), "columns");
  EXPECT_EQ(field_of({{"phone", "phone"}, {"name", "nickname"}}), "columns[1].field");
  EXPECT_EQ(field_of({{"mobile", "phone"}}), "columns[0].column");
  EXPECT_EQ(field_of({{"dup", "phone"}}), "columns[0].column");
  EXPECT_EQ(field_of({{"name", "first_name"}, {"name2", "first_name"}}), "columns[1].field");
  EXPECT_EQ(field_of({{"phone", "phone"}}, {"phone", "card_number"}), "dedupe_keys[1]");
  EXPECT_EQ(field_of({{"phone", "phone"}}, {"email"}), "dedupe_keys[0]");
  // Consents have a history of their own; they are not imported.
  EXPECT_EQ(field_of({{"phone", "marketing_consent"}}), "columns[0].field");
}

TEST(ClientImportTest, RowBecomesAProfileValidatedLikeRegistration) {
  const auto columns =
      Columns({{"phone", "phone"}, {"born", "birth_date"}, {"sex", "gender"}, {"city", "city"}},
              {"phone", "born", "sex", "city"});
  absl::StatusOr<ImportedRow> row = ParseImportRow(
      columns, {"8 (916) 123-45-67", "31.12.1990", "F", "  Moscow "}, "7", kToday, {});
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->profile.phone, "+79161234567");
  EXPECT_EQ(row->profile.birth_date, (BirthDate{1990, 12, 31}));
  EXPECT_EQ(row->profile.gender, Gender::kFemale);
  EXPECT_EQ(row->profile.city, "Moscow");
  EXPECT_THAT(row->filled_fields, ElementsAre("phone", "birth_date", "gender", "city"));

  auto error_of = [&](const std::vector<std::string>& cells) {
    absl::Status status = ParseImportRow(columns, cells, "7", kToday, {}).status();
    return RowErrorOf(columns, 7, status);
  };
  ImportRowError bad_phone = error_of({"12", "", "", ""});
  EXPECT_EQ(bad_phone.field, "phone");
  EXPECT_EQ(bad_phone.column, "phone");
  EXPECT_EQ(bad_phone.line, 7);
  EXPECT_FALSE(bad_phone.message.empty());
  // Neither phone nor e-mail: fine for a row that updates a client (the
  // apply step requires one of a row that creates a client).
  absl::StatusOr<ImportedRow> no_contact = ParseImportRow(columns, {"", "", "", "Tver"}, "7",
                                                          kToday, {});
  ASSERT_TRUE(no_contact.ok()) << no_contact.status();
  EXPECT_THAT(no_contact->filled_fields, ElementsAre("city"));
  EXPECT_EQ(ViolatedField(RequireContact(no_contact->profile, "")), "phone");
  EXPECT_EQ(error_of({"+79161234567", "2030-01-01", "", ""}).column, "born");
  EXPECT_EQ(error_of({"+79161234567", "1/2/1990", "", ""}).field, "birth_date");
  EXPECT_EQ(error_of({"+79161234567", "", "x", ""}).field, "gender");
  EXPECT_EQ(error_of({"+79161234567", "", "", "\xC3\x28"}).field, "city");
  // A short row: missing cells are empty.
  EXPECT_TRUE(ParseImportRow(columns, {"+79161234567"}, "7", kToday, {}).ok());
}

TEST(ClientImportTest, AttributeColumnsAreParsedByTheAttributesType) {
  const std::vector<Attribute> schema = {
      {.spec = {.key = "born_on", .display_name = "D", .type = AttributeType::kDate,
                .editable_by = AttributeEditor::kOperator}},
      {.spec = {.key = "gone", .display_name = "G", .type = AttributeType::kBool,
                .editable_by = AttributeEditor::kOperator},
       .archived = true},
      {.spec = {.key = "kids", .display_name = "K", .type = AttributeType::kNumber,
                .number_scale = 1, .editable_by = AttributeEditor::kOperator}},
      {.spec = {.key = "likes",
                .display_name = "L",
                .type = AttributeType::kList,
                .allowed_values = {{"tea", "Tea"}, {"jam", "Jam"}},
                .editable_by = AttributeEditor::kOperator}},
      {.spec = {.key = "score", .display_name = "S", .type = AttributeType::kNumber,
                .editable_by = AttributeEditor::kSystem, .kind = AttributeKind::kSystem}},
      {.spec = {.key = "vip", .display_name = "V", .type = AttributeType::kBool,
                .editable_by = AttributeEditor::kOperator}},
  };
  const std::vector<std::string> header = {"id", "d", "k", "l", "v"};
  absl::StatusOr<std::vector<ImportColumn>> columns =
      ResolveColumns(header,
                     {{"id", "client_id"},
                      {"d", "attributes.born_on"},
                      {"k", "attributes.kids"},
                      {"l", "attributes.likes"},
                      {"v", "attributes.vip"}},
                     {"client_id"}, schema);
  ASSERT_TRUE(columns.ok()) << columns.status();
  const std::string id = "0b7e4d4c-2f63-4f59-9d55-1d0f7c0a5c11";
  absl::StatusOr<ImportedRow> row =
      ParseImportRow(*columns, {id, "01.02.2000", "2,5", "tea | jam", "Да"}, "7", kToday, schema);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->client_id, id);
  EXPECT_TRUE(row->filled_fields.empty());
  ASSERT_EQ(row->attributes.size(), 4u);
  EXPECT_EQ(row->attributes[0].text, "2000-02-01");
  EXPECT_EQ(row->attributes[1].number, 25);
  EXPECT_THAT(row->attributes[2].list, ElementsAre("tea", "jam"));
  EXPECT_TRUE(row->attributes[3].boolean);
  // Empty cells set nothing.
  absl::StatusOr<ImportedRow> empty = ParseImportRow(*columns, {"", "", "", "", ""}, "7", kToday,
                                                     schema);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->attributes.empty());

  auto field_of = [&](const std::vector<std::string>& cells) {
    return ViolatedField(ParseImportRow(*columns, cells, "7", kToday, schema).status())
        .value_or("");
  };
  EXPECT_EQ(field_of({"not-a-uuid", "", "", "", ""}), "client_id");
  EXPECT_EQ(field_of({"", "2000-13-01", "", "", ""}), "attributes.born_on");
  EXPECT_EQ(field_of({"", "", "2.55", "", ""}), "attributes.kids");  // scale 1
  EXPECT_EQ(field_of({"", "", "", "tea|cake", ""}), "attributes.likes");
  EXPECT_EQ(field_of({"", "", "", "", "maybe"}), "attributes.vip");
  EXPECT_EQ(RowErrorOf(*columns, 2, ParseImportRow(*columns, {"", "", "", "", "maybe"}, "7",
                                                   kToday, schema)
                                        .status())
                .column,
            "v");

  // Unknown, archived and system-written attributes cannot be mapped.
  auto mapping_field_of = [&](const std::string& field) {
    return ViolatedField(ResolveColumns(header, {{"d", field}}, {}, schema).status())
        .value_or("");
  };
  EXPECT_EQ(mapping_field_of("attributes.nope"), "columns[0].field");
  EXPECT_EQ(mapping_field_of("attributes.gone"), "columns[0].field");
  EXPECT_EQ(mapping_field_of("attributes.score"), "columns[0].field");
  EXPECT_EQ(mapping_field_of("attributes."), "columns[0].field");
}

TEST(ClientImportTest, OptionsRoundTrip) {
  ImportOptions options{.file_id = "f1",
                        .delimiter = ';',
                        .columns = {{.index = 2, .column = "Tel, mobile\n=x", .field = "phone"},
                                    {.index = 0, .column = "E", .field = "email"}},
                        .dedupe_keys = {"phone", "email"},
                        .mode = DuplicateMode::kUpdate,
                        .on_new = NewClientMode::kSkip,
                        .data_offset = 42,
                        .data_line = 3,
                        .started_by = {.kind = ActorKind::kApiKey,
                                       .principal_id = "key,1",
                                       .role = "ROLE_ADMIN",
                                       .request_id = "r=1"}};
  absl::StatusOr<ImportOptions> back = DecodeImportOptions(EncodeImportOptions(options));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->file_id, "f1");
  EXPECT_EQ(back->delimiter, ';');
  ASSERT_EQ(back->columns.size(), 2u);
  EXPECT_EQ(back->columns[0].column, "Tel, mobile\n=x");
  EXPECT_EQ(back->columns[0].index, 2);
  EXPECT_THAT(back->dedupe_keys, ElementsAre("phone", "email"));
  EXPECT_EQ(back->mode, DuplicateMode::kUpdate);
  EXPECT_EQ(back->data_offset, 42);
  EXPECT_EQ(back->data_line, 3);
  EXPECT_EQ(back->on_new, NewClientMode::kSkip);
  EXPECT_EQ(back->started_by.kind, ActorKind::kApiKey);
  EXPECT_EQ(back->started_by.principal_id, "key,1");
  EXPECT_EQ(back->started_by.request_id, "r=1");
  EXPECT_EQ(back->format, ImportFormat::kCsv);
  EXPECT_FALSE(DecodeImportOptions("nonsense").ok());

  // CSV options encode as before XLSX (the content keys of earlier imports
  // are digests of them); XLSX adds its line.
  EXPECT_EQ(EncodeImportOptions(options).find("format"), std::string::npos);
  options.format = ImportFormat::kXlsx;
  back = DecodeImportOptions(EncodeImportOptions(options));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->format, ImportFormat::kXlsx);
}

TEST(ClientImportTest, SpreadsheetErrorValuesAreRowErrorsOfTheirColumn) {
  const auto columns =
      Columns({{"Name", "first_name"}, {"Level", "extra_key1"}}, {"Name", "Level"});
  absl::Status status = ParseImportRow(columns, {"Ann", "#N/A"}, "7", kToday, {}).status();
  const ImportRowError error = RowErrorOf(columns, 12, status);
  EXPECT_EQ(error.line, 12);
  EXPECT_EQ(error.column, "Level");
  EXPECT_EQ(error.field, "extra_key1");
  EXPECT_THAT(error.message, ::testing::HasSubstr("#N/A"));
  EXPECT_FALSE(ParseImportRow(columns, {"#REF!", ""}, "7", kToday, {}).ok());
  // Text that merely starts with '#' is a value.
  EXPECT_TRUE(ParseImportRow(columns, {"#1 fan", "#N/A?"}, "7", kToday, {}).ok());
}

TEST(ClientImportTest, BatchKeysRoundTrip) {
  std::optional<ImportBatch> batch =
      ParseBatchItemKey(BatchItemKey({.first_line = 10002, .offset = 123456, .rows = 10000}));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->first_line, 10002);
  EXPECT_EQ(batch->offset, 123456);
  EXPECT_EQ(batch->rows, 10000);
  EXPECT_FALSE(ParseBatchItemKey(kApplyItemKey).has_value());
}

}  // namespace
}  // namespace loyalty::identity
