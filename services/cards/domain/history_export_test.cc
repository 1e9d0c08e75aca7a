#include "services/cards/domain/history_export.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'704'067'200);  // 2024-01-01T00:00:00Z

TEST(HistoryExportTest, PeriodIsRequiredForwardAndAtMost366Days) {
  EXPECT_TRUE(NewHistoryExport(kStart, kStart + absl::Hours(24 * 366), ExportFormat::kCsv).ok());
  EXPECT_EQ(ViolatedField(NewHistoryExport(std::nullopt, kStart, ExportFormat::kCsv).status()),
            "start_time");
  EXPECT_EQ(ViolatedField(NewHistoryExport(kStart, std::nullopt, ExportFormat::kCsv).status()),
            "end_time");
  EXPECT_EQ(ViolatedField(NewHistoryExport(kStart, kStart, ExportFormat::kCsv).status()),
            "end_time");
  EXPECT_EQ(
      ViolatedField(NewHistoryExport(kStart, kStart + absl::Hours(24 * 366 + 1), ExportFormat::kCsv)
                        .status()),
      "end_time");
}

TEST(HistoryExportTest, ParametersRoundTripInAPinnedForm) {
  HistoryExport history{.start_time = kStart + absl::Microseconds(5),
                        .end_time = kStart + absl::Hours(48)};
  // Part of the idempotency digest: changing it breaks retries across versions.
  EXPECT_EQ(EncodeHistoryExport(history), "csv 1704067200000005 1704240000000000");
  absl::StatusOr<HistoryExport> back = DecodeHistoryExport(EncodeHistoryExport(history));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->start_time, history.start_time);
  EXPECT_EQ(back->end_time, history.end_time);
  EXPECT_EQ(back->format, ExportFormat::kCsv);
  history.format = ExportFormat::kXlsx;
  EXPECT_EQ(EncodeHistoryExport(history), "xlsx 1704067200000005 1704240000000000");
  back = DecodeHistoryExport(EncodeHistoryExport(history));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->format, ExportFormat::kXlsx);
  EXPECT_FALSE(DecodeHistoryExport("csv 1").ok());
  EXPECT_FALSE(DecodeHistoryExport("pdf 1 2").ok());
}

TEST(HistoryExportTest, FileNameNamesCardAndPeriodSafely) {
  HistoryExport history{.start_time = kStart, .end_time = kStart + absl::Hours(24 * 31)};
  EXPECT_EQ(HistoryExportFileName("2000000000017", history),
            "card-2000000000017-operations-20240101T000000Z-20240201T000000Z.csv");
  EXPECT_EQ(HistoryExportFileName("a\"b/c d", history),
            "card-a_b_c_d-operations-20240101T000000Z-20240201T000000Z.csv");
  history.format = ExportFormat::kXlsx;
  EXPECT_EQ(HistoryExportFileName("2000000000017", history),
            "card-2000000000017-operations-20240101T000000Z-20240201T000000Z.xlsx");
}

}  // namespace
}  // namespace loyalty::cards
