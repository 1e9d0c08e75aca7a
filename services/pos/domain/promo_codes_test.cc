#include "services/pos/domain/promo_codes.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/pos/api/promo_codes_client.h"
#include "services/pos/domain/fake_promo_codes.h"

namespace loyalty::pos {
namespace {

TEST(NormalisePromoCodesTest, TrimsAndUpperCases) {
  auto codes = NormalisePromoCodes({" spring-10 ", "a_b"});
  ASSERT_TRUE(codes.ok()) << codes.status();
  EXPECT_EQ(*codes, (std::vector<std::string>{"SPRING-10", "A_B"}));
}

TEST(NormalisePromoCodesTest, MalformedCodesNameTheirIndex) {
  EXPECT_EQ(ViolatedField(NormalisePromoCodes({"OK", "  "}).status()), "promo_codes[1]");
  EXPECT_EQ(ViolatedField(NormalisePromoCodes({std::string(65, 'A')}).status()),
            "promo_codes[0]");
  EXPECT_EQ(ViolatedField(NormalisePromoCodes({"OK", "NO WAY"}).status()), "promo_codes[1]");
  EXPECT_EQ(ViolatedField(NormalisePromoCodes({"ok", "OK"}).status()), "promo_codes[1]");
  EXPECT_TRUE(absl::IsInvalidArgument(NormalisePromoCodes({"OK", ""}).status()));
  EXPECT_EQ(ViolatedField(NormalisePromoCodes(std::vector<std::string>(11, "X")).status()),
            "promo_codes");
  EXPECT_TRUE(NormalisePromoCodes({std::string(64, 'A')}).ok());
}

TEST(RefusalFromStatusTest, ReadsTheKindFromTheCashierReason) {
  EXPECT_EQ(RefusalFromStatus(absl::NotFoundError("code: no such code")).outcome,
            PromoCodeOutcome::kUnknown);
  auto expired = RefusalFromStatus(
      FieldError(absl::StatusCode::kFailedPrecondition, "code", "this code has expired"));
  EXPECT_EQ(expired.outcome, PromoCodeOutcome::kExpired);
  EXPECT_EQ(expired.reason, "this code has expired");
  EXPECT_EQ(RefusalFromStatus(absl::FailedPreconditionError("code: this code has already been "
                                                            "used up"))
                .outcome,
            PromoCodeOutcome::kExhausted);
  EXPECT_EQ(RefusalFromStatus(absl::FailedPreconditionError(
                                  "code: the client has already used this promotion the "
                                  "maximum number of times"))
                .outcome,
            PromoCodeOutcome::kClientLimit);
  EXPECT_EQ(RefusalFromStatus(absl::FailedPreconditionError(
                                  "code: this code needs an identified client"))
                .outcome,
            PromoCodeOutcome::kRefused);
}

class ReservePromoCodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_.codes["SPRING"] = {.pool_id = "pool-shared"};
    port_.codes["UNIQ1"] = {.pool_id = "pool-unique", .max_uses = 1};
  }
  ReserveInput Input(std::vector<std::string> codes) {
    return ReserveInput{.program_id = "p",
                        .receipt_id = "r",
                        .calculation = 1,
                        .codes = std::move(codes),
                        .now = port_.now};
  }
  FakePromoCodes port_;
  int suffix_ = 0;
  std::function<std::string()> random_ = [this] { return absl::StrCat("x", ++suffix_); };
};

TEST_F(ReservePromoCodesTest, GivesEachHeldCodeToTheEngineInBothForms) {
  PromoCodeCheck check = ReservePromoCodes(port_, Input({"SPRING", "NOPE", "UNIQ1"}), random_);
  ASSERT_EQ(check.codes.size(), 3u);
  EXPECT_EQ(check.codes[0].reservation_id, "r:1:x1:SPRING");
  EXPECT_EQ(check.codes[1].outcome, PromoCodeOutcome::kUnknown);
  EXPECT_TRUE(check.codes[1].reservation_id.empty());
  ASSERT_EQ(check.entered.size(), 4u);
  EXPECT_EQ(check.entered[0].pool_id, "");
  EXPECT_EQ(check.entered[1].pool_id, "pool-shared");
  EXPECT_EQ(check.entered[3].pool_id, "pool-unique");
  EXPECT_EQ(check.entered_code, (std::vector<size_t>{0, 0, 2, 2}));
  EXPECT_EQ(check.new_reservations.size(), 2u);

  // The pool form of UNIQ1 was used; SPRING was not and must not burn a use.
  std::vector<std::string> release = SettlePromoCodes(check, {"", "", "", "c-unique"}, {});
  EXPECT_EQ(release, std::vector<std::string>{"r:1:x1:SPRING"});
  EXPECT_EQ(check.codes[0].outcome, PromoCodeOutcome::kNotUsed);
  EXPECT_TRUE(check.codes[0].reservation_id.empty());
  EXPECT_EQ(check.codes[2].outcome, PromoCodeOutcome::kApplied);
  EXPECT_EQ(check.codes[2].campaign_id, "c-unique");
  EXPECT_EQ(check.codes[2].reservation_id, "r:1:x3:UNIQ1");  // x2 went to NOPE
  EXPECT_EQ(check.messages.size(), 2u);  // NOPE unknown, SPRING not used
}

TEST_F(ReservePromoCodesTest, ReusesTheHeldReservationAndReleasesDroppedOnes) {
  std::vector<ReceiptPromoCode> previous = {
      {.code = "UNIQ1", .outcome = PromoCodeOutcome::kApplied, .reservation_id = "r:1:a:UNIQ1"},
      {.code = "SPRING", .outcome = PromoCodeOutcome::kApplied, .reservation_id = "r:1:b:SPRING"}};
  port_.reservations["r:1:a:UNIQ1"] = {.code = "UNIQ1", .expire_time = port_.now + absl::Minutes(1)};
  port_.reservations["r:1:b:SPRING"] = {.code = "SPRING",
                                        .expire_time = port_.now + absl::Minutes(1)};
  ReserveInput input = Input({"UNIQ1"});
  input.calculation = 2;
  input.previous = previous;
  PromoCodeCheck check = ReservePromoCodes(port_, input, random_);
  // Single use and already held by this receipt: still granted, no new use.
  EXPECT_EQ(check.codes[0].reservation_id, "r:1:a:UNIQ1");
  EXPECT_TRUE(check.new_reservations.empty());
  std::vector<std::string> release = SettlePromoCodes(check, {"c", "c"}, previous);
  EXPECT_EQ(release, std::vector<std::string>{"r:1:b:SPRING"});
}

TEST_F(ReservePromoCodesTest, ALapsedReservationIsReplacedByANewOne) {
  std::vector<ReceiptPromoCode> previous = {
      {.code = "SPRING", .outcome = PromoCodeOutcome::kApplied, .reservation_id = "r:1:a:SPRING"}};
  port_.reservations["r:1:a:SPRING"] = {.code = "SPRING", .expire_time = port_.now};
  ReserveInput input = Input({"SPRING"});
  input.calculation = 2;
  input.previous = previous;
  PromoCodeCheck check = ReservePromoCodes(port_, input, random_);
  EXPECT_EQ(check.codes[0].reservation_id, "r:2:x1:SPRING");
  EXPECT_EQ(check.new_reservations, std::vector<std::string>{"r:2:x1:SPRING"});
}

TEST_F(ReservePromoCodesTest, CampaignsUnavailableLeavesTheCodesUnchecked) {
  port_.unavailable = true;
  PromoCodeCheck check = ReservePromoCodes(port_, Input({"SPRING", "UNIQ1"}), random_);
  EXPECT_EQ(port_.reserve_calls, 1);  // not once per code
  EXPECT_EQ(check.codes[0].outcome, PromoCodeOutcome::kUnchecked);
  EXPECT_EQ(check.codes[1].outcome, PromoCodeOutcome::kUnchecked);
  EXPECT_TRUE(check.entered.empty());
  EXPECT_EQ(check.messages,
            std::vector<std::string>{"Promo codes could not be checked: priced without them"});
}

}  // namespace
}  // namespace loyalty::pos
