#include "services/identity/domain/client_export.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;

constexpr char kId1[] = "0b7c9a4e-1111-4c3a-9d6e-000000000001";
constexpr char kId2[] = "0b7c9a4e-1111-4c3a-9d6e-000000000002";

std::string FieldOf(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return ViolatedField(status).value_or("(none)");
}

TEST(ClientExportTest, ColumnsAreClientFieldNamesInTheOrderGiven) {
  auto columns = ParseClientColumns({"phone", "last_name", "birth_date", "create_time"});
  ASSERT_TRUE(columns.ok()) << columns.status();
  EXPECT_THAT(*columns, ElementsAre(ClientColumn::kPhone, ClientColumn::kLastName,
                                    ClientColumn::kBirthDate, ClientColumn::kCreateTime));
  EXPECT_EQ(ColumnLabel(ClientColumn::kLastName), "Last name");
  EXPECT_EQ(ColumnName(ClientColumn::kUpdateTime), "update_time");
  // Every column's name parses back to it.
  for (int i = 0; i <= static_cast<int>(ClientColumn::kUpdateTime); ++i) {
    const auto column = static_cast<ClientColumn>(i);
    auto parsed = ParseClientColumns({std::string(ColumnName(column))});
    ASSERT_TRUE(parsed.ok()) << ColumnName(column);
    EXPECT_EQ((*parsed)[0], column);
  }
}

TEST(ClientExportTest, BadColumnsAreNamedByTheirIndex) {
  EXPECT_EQ(FieldOf(ParseClientColumns({}).status()), "columns");
  EXPECT_EQ(FieldOf(ParseClientColumns({"phone", "password"}).status()), "columns[1]");
  EXPECT_EQ(FieldOf(ParseClientColumns({"phone", "email", "phone"}).status()), "columns[2]");
  EXPECT_EQ(FieldOf(ParseClientColumns({"etag"}).status()), "columns[0]");
}

TEST(ClientExportTest, SelectionIsChecked) {
  ClientSelection ids{.client_ids = {kId1, kId2, kId1}};
  ASSERT_TRUE(NormalizeSelection(ids).ok());
  EXPECT_THAT(ids.client_ids, ElementsAre(kId1, kId2));  // repeats dropped

  ClientSelection bad_id{.client_ids = {kId1, "nope"}};
  EXPECT_EQ(FieldOf(NormalizeSelection(bad_id)), "client_ids[1]");
  ClientSelection both{.client_ids = {kId1}, .filter = {.registration_store_id = "s1"}};
  EXPECT_EQ(FieldOf(NormalizeSelection(both)), "filter");
  ClientSelection bad_tag{.filter = {.tag_id = "x"}};
  EXPECT_EQ(FieldOf(NormalizeSelection(bad_tag)), "filter.tag_id");
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  ClientSelection backwards{.filter = {.create_start_time = t, .create_end_time = t}};
  EXPECT_EQ(FieldOf(NormalizeSelection(backwards)), "filter.create_end_time");
  ClientSelection all;
  EXPECT_TRUE(NormalizeSelection(all).ok());
}

TEST(ClientExportTest, TooManyIdsAreRefused) {
  ClientSelection many;
  for (size_t i = 0; i <= kMaxExportClientIds; ++i) {
    char id[37];
    std::snprintf(id, sizeof(id), "0b7c9a4e-1111-4c3a-9d6e-%012zu", i);
    many.client_ids.push_back(id);
  }
  EXPECT_EQ(FieldOf(NormalizeSelection(many)), "client_ids");
  many.client_ids.pop_back();
  EXPECT_TRUE(NormalizeSelection(many).ok());
}

TEST(ClientExportTest, ParametersRoundTrip) {
  ClientExport with_filter{
      .format = ClientExportFormat::kXlsx,
      .columns = {ClientColumn::kEmail, ClientColumn::kClientId},
      .selection = {.filter = {.tag_id = kId1,
                               .create_start_time = absl::FromUnixMicros(1700000000123456),
                               .create_end_time = absl::FromUnixMicros(1800000000000000),
                               .registration_store_id = "store=1\nline two"}}};
  const std::string params = EncodeClientExport(with_filter);
  auto decoded = DecodeClientExport(params);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, with_filter);

  ClientExport with_ids{.columns = {ClientColumn::kPhone}, .selection = {.client_ids = {kId1, kId2}}};
  // Pinned: the parameters are part of the idempotency digest.
  EXPECT_EQ(EncodeClientExport(with_ids),
            absl::StrCat("format=csv\ncolumns=phone\nids=", kId1, ",", kId2, "\n"));
  decoded = DecodeClientExport(EncodeClientExport(with_ids));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, with_ids);

  EXPECT_FALSE(DecodeClientExport("columns=phone\n").ok());
  EXPECT_FALSE(DecodeClientExport("format=pdf\ncolumns=phone\n").ok());
  EXPECT_FALSE(DecodeClientExport("format=csv\ncolumns=phone\nwhat=1\n").ok());
}

TEST(ClientExportTest, RowCellsFollowTheColumns) {
  Client client;
  client.client_id = kId1;
  client.profile.last_name = "=cmd";
  client.profile.birth_date = BirthDate{1990, 5, 17};
  client.profile.gender = Gender::kFemale;
  client.profile.device = Device::kIos;
  client.profile.marketing_consent = true;
  client.profile.social_profiles = {{"vk", "https://vk.com/a"}, {"tg", "https://t.me/b"}};
  client.create_time = absl::FromUnixSeconds(1700000000);
  const std::vector<ExportCell> cells = ClientRowCells(
      client, {ClientColumn::kLastName, ClientColumn::kBirthDate, ClientColumn::kGender,
               ClientColumn::kDevice, ClientColumn::kMarketingConsent, ClientColumn::kSocialProfiles,
               ClientColumn::kCreateTime, ClientColumn::kCity});
  ASSERT_EQ(cells.size(), 8u);
  EXPECT_EQ(cells[0].text, "=cmd");  // guarded by the writer, not here
  EXPECT_EQ(cells[1].kind, ExportCell::Kind::kDate);
  EXPECT_EQ(cells[1].day, absl::CivilDay(1990, 5, 17));
  EXPECT_EQ(cells[2].text, "FEMALE");
  EXPECT_EQ(cells[3].text, "IOS");
  EXPECT_EQ(cells[4].text, "true");
  EXPECT_EQ(cells[5].text, "vk https://vk.com/a; tg https://t.me/b");
  EXPECT_EQ(cells[6].kind, ExportCell::Kind::kTime);
  EXPECT_EQ(cells[6].time, client.create_time);
  EXPECT_EQ(cells[7].kind, ExportCell::Kind::kText);
  EXPECT_EQ(cells[7].text, "");

  client.profile.birth_date.reset();
  EXPECT_EQ(ClientRowCells(client, {ClientColumn::kBirthDate})[0].kind, ExportCell::Kind::kText);
}

}  // namespace
}  // namespace loyalty::identity
