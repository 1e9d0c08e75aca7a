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
  absl::StatusOr<std::vector<ImportColumn>> columns = ResolveColumns(header, requested, {});
  EXPECT_TRUE(columns.ok()) << columns.status();
  return columns.value_or(std::vector<ImportColumn>{});
}

TEST(ClientImportTest, ResolvesColumnsByHeaderName) {
  absl::StatusOr<std::vector<ImportColumn>> columns = ResolveColumns(
      {"Name", " Phone ", "ignored"}, {{"Phone", "phone"}, {"Name", "first_name"}}, {"phone"});
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
    return ViolatedField(ResolveColumns(header, requested, keys).status()).value_or("");
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
  absl::StatusOr<ClientProfile> profile =
      ProfileFromRow(columns, {"8 (916) 123-45-67", "31.12.1990", "F", "  Moscow "}, "7", kToday);
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_EQ(profile->phone, "+79161234567");
  EXPECT_EQ(profile->birth_date, (BirthDate{1990, 12, 31}));
  EXPECT_EQ(profile->gender, Gender::kFemale);
  EXPECT_EQ(profile->city, "Moscow");

  auto error_of = [&](const std::vector<std::string>& cells) {
    absl::Status status = ProfileFromRow(columns, cells, "7", kToday).status();
    return RowErrorOf(columns, 7, status);
  };
  ImportRowError bad_phone = error_of({"12", "", "", ""});
  EXPECT_EQ(bad_phone.field, "phone");
  EXPECT_EQ(bad_phone.column, "phone");
  EXPECT_EQ(bad_phone.line, 7);
  EXPECT_FALSE(bad_phone.message.empty());
  EXPECT_EQ(error_of({"", "", "", ""}).field, "phone");  // neither phone nor e-mail
  EXPECT_EQ(error_of({"+79161234567", "2030-01-01", "", ""}).column, "born");
  EXPECT_EQ(error_of({"+79161234567", "1/2/1990", "", ""}).field, "birth_date");
  EXPECT_EQ(error_of({"+79161234567", "", "x", ""}).field, "gender");
  EXPECT_EQ(error_of({"+79161234567", "", "", "\xC3\x28"}).field, "city");
  // A short row: missing cells are empty.
  EXPECT_TRUE(ProfileFromRow(columns, {"+79161234567"}, "7", kToday).ok());
}

TEST(ClientImportTest, OptionsRoundTrip) {
  ImportOptions options{.file_id = "f1",
                        .delimiter = ';',
                        .columns = {{.index = 2, .column = "Tel, mobile\n=x", .field = "phone"},
                                    {.index = 0, .column = "E", .field = "email"}},
                        .dedupe_keys = {"phone", "email"},
                        .mode = DuplicateMode::kUpdate,
                        .data_offset = 42,
                        .data_line = 3};
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
  EXPECT_FALSE(DecodeImportOptions("nonsense").ok());
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
