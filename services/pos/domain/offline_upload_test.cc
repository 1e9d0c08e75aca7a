#include "services/pos/domain/offline_upload.h"

#include <cctype>

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kStore[] = "6f1c1d9e-1111-4222-8333-444455556666";
constexpr char kOtherStore[] = "7f1c1d9e-1111-4222-8333-444455556666";

TEST(OfflineBatchTest, EmptyAndOversizedBatchesNameReceipts) {
  absl::Status empty = CheckOfflineBatch({}, "");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(empty), "receipts");

  std::vector<CalculateInput> receipts(kMaxOfflineReceipts, CalculateInput{.store_id = kStore});
  EXPECT_TRUE(CheckOfflineBatch(receipts, "").ok());
  receipts.push_back(CalculateInput{.store_id = kStore});
  absl::Status too_many = CheckOfflineBatch(receipts, "");
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(too_many), "receipts");
}

TEST(OfflineBatchTest, ABoundKeyUploadsForItsOwnStoreOnly) {
  // Omitted or the same store (in any case) is fine.
  EXPECT_TRUE(CheckOfflineBatch({{}, {.store_id = kStore}}, kStore).ok());
  std::string upper = kStore;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(CheckOfflineBatch({{.store_id = upper}}, kStore).ok());

  absl::Status other = CheckOfflineBatch({{.store_id = kStore}, {.store_id = kOtherStore}}, kStore);
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ViolatedField(other), "receipts[1].store_id");
  // Unbound credentials (admin) may upload for any store of the program.
  EXPECT_TRUE(CheckOfflineBatch({{.store_id = kOtherStore}}, "").ok());
}

TEST(OfflineTakenTimeTest, RequiredNotInTheFutureNotTooOld) {
  EXPECT_EQ(ViolatedField(CheckTakenTime(std::nullopt, kNow)), "taken_time");
  EXPECT_TRUE(CheckTakenTime(kNow - absl::Hours(3), kNow).ok());
  // A till's clock a little ahead is tolerated; more is not.
  EXPECT_TRUE(CheckTakenTime(kNow + kOfflineClockSkew, kNow).ok());
  absl::Status future = CheckTakenTime(kNow + kOfflineClockSkew + absl::Seconds(1), kNow);
  EXPECT_EQ(future.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(future), "taken_time");
  EXPECT_TRUE(CheckTakenTime(kNow - kOfflineMaxAge, kNow).ok());
  absl::Status old = CheckTakenTime(kNow - kOfflineMaxAge - absl::Seconds(1), kNow);
  EXPECT_EQ(ViolatedField(old), "taken_time");
  EXPECT_EQ(ViolatedField(CheckTakenTime(absl::InfinitePast(), kNow)), "taken_time");
}

TEST(OfflineSameSaleTest, CardAndLinesDecidePointsAndTimesDoNot) {
  std::vector<PricedLine> lines = {
      {.line_number = 1, .sku = "milk", .quantity_milli = 2000, .price = 5000, .amount = 10000}};
  Receipt stored{.card_number = "2000000000008", .lines = lines};
  stored.points_spent = 40;
  stored.lines[0].discount = 500;  // the server's pricing, not the till's sale
  stored.lines[0].points_earned = 9;
  EXPECT_TRUE(SameSale(stored, "2000000000008", lines));
  EXPECT_FALSE(SameSale(stored, "", lines));

  std::vector<PricedLine> more = lines;
  more[0].quantity_milli = 3000;
  more[0].amount = 15000;
  EXPECT_FALSE(SameSale(stored, "2000000000008", more));
  std::vector<PricedLine> other_sku = lines;
  other_sku[0].sku = "bread";
  EXPECT_FALSE(SameSale(stored, "2000000000008", other_sku));
  std::vector<PricedLine> extra = lines;
  extra.push_back(
      {.line_number = 2, .sku = "bread", .quantity_milli = 1000, .price = 1, .amount = 1});
  EXPECT_FALSE(SameSale(stored, "2000000000008", extra));
}

TEST(OfflineErrorsTest, FieldsArePutUnderTheReceipt) {
  absl::Status line = UnderReceipt(3, InvalidField("lines[1].quantity", "must be positive"));
  EXPECT_EQ(line.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(line), "receipts[3].lines[1].quantity");
  EXPECT_EQ(line.message(), "receipts[3].lines[1].quantity: must be positive");

  absl::Status unnamed = UnderReceipt(0, absl::UnavailableError("cards is restarting"));
  EXPECT_EQ(unnamed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ViolatedField(unnamed), "receipts[0]");
  EXPECT_EQ(unnamed.message(), "receipts[0]: cards is restarting");
}

}  // namespace
}  // namespace loyalty::pos
