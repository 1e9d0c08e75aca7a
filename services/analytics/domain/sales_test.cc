#include "services/analytics/domain/sales.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::analytics {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'710'000'000);
constexpr char kStore[] = "6F1C2A44-0B8E-4D7A-9E4B-3C2D1E0F9A8B";

TEST(MakeSummaryQueryTest, DefaultsToEverythingUntilNow) {
  auto query = MakeSummaryQuery(std::nullopt, std::nullopt, "", kNow);
  ASSERT_TRUE(query.ok());
  EXPECT_FALSE(query->start.has_value());
  EXPECT_EQ(query->end, kNow);
  EXPECT_TRUE(query->store_id.empty());
}

TEST(MakeSummaryQueryTest, ExplicitPeriod) {
  absl::Time start = kNow - absl::Hours(48);
  absl::Time end = kNow + absl::Hours(24);  // the future is allowed, it is just empty
  auto query = MakeSummaryQuery(start, end, kStore, kNow);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->start, start);
  EXPECT_EQ(query->end, end);
  EXPECT_EQ(query->store_id, "6f1c2a44-0b8e-4d7a-9e4b-3c2d1e0f9a8b");
}

TEST(MakeSummaryQueryTest, EmptyPeriodIsFine) {
  auto query = MakeSummaryQuery(kNow, kNow, "", kNow);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->end, kNow);
}

TEST(MakeSummaryQueryTest, EndBeforeStartIsRefused) {
  absl::Status status =
      MakeSummaryQuery(kNow, kNow - absl::Seconds(1), "", kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "end_time");
}

TEST(MakeSummaryQueryTest, FutureStartWithoutEndIsAnEmptyPeriod) {
  absl::Time start = kNow + absl::Hours(1);
  auto query = MakeSummaryQuery(start, std::nullopt, "", kNow);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->end, start);
}

TEST(MakeSummaryQueryTest, StoreMustBeAUuid) {
  absl::Status status = MakeSummaryQuery(std::nullopt, std::nullopt, "store-1", kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(status), "store_id");
}

}  // namespace
}  // namespace loyalty::analytics
