#include "services/identity/domain/verification.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kKey[] = "server-key";

Verification Pending(const std::string& code) {
  Verification verification;
  verification.verification_id = "6f1c3e52-0000-4000-8000-000000000001";
  verification.contact = "+79161234567";
  verification.code_hash = HashVerificationCode(kKey, verification.verification_id, code);
  verification.create_time = kNow;
  verification.expire_time = kNow + absl::Minutes(10);
  verification.max_attempts = 5;
  return verification;
}

TEST(VerificationCodeTest, SixDigitsAndNotAlwaysTheSame) {
  std::set<std::string> codes;
  for (int i = 0; i < 50; ++i) {
    std::string code = NewVerificationCode();
    EXPECT_TRUE(ValidateCodeSyntax(code).ok()) << code;
    codes.insert(code);
  }
  EXPECT_GT(codes.size(), 40u);
}

TEST(VerificationCodeTest, HashIsKeyedAndBoundToTheVerification) {
  const std::string hash = HashVerificationCode(kKey, "a", "123456");
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find("123456"), std::string::npos);
  EXPECT_EQ(hash, HashVerificationCode(kKey, "a", "123456"));
  EXPECT_NE(hash, HashVerificationCode("other-key", "a", "123456"));
  EXPECT_NE(hash, HashVerificationCode(kKey, "b", "123456"));
  EXPECT_NE(hash, HashVerificationCode(kKey, "a", "123457"));
  Verification verification = Pending("123456");
  EXPECT_TRUE(VerificationCodeMatches(kKey, verification, "123456"));
  EXPECT_FALSE(VerificationCodeMatches(kKey, verification, "654321"));
  EXPECT_FALSE(VerificationCodeMatches("other-key", verification, "123456"));
}

TEST(VerificationCodeTest, CodeSyntax) {
  EXPECT_TRUE(ValidateCodeSyntax("000123").ok());
  for (const char* bad : {"", "12345", "1234567", "12345a", " 12345"}) {
    EXPECT_EQ(ViolatedField(ValidateCodeSyntax(bad)), "code") << bad;
  }
}

TEST(ResendLimitTest, OnePerIntervalAndFivePerHour) {
  const VerificationLimits limits;
  EXPECT_TRUE(CheckResendAllowed({}, kNow, limits).ok());
  absl::Status too_soon = CheckResendAllowed({kNow - absl::Seconds(20)}, kNow, limits);
  EXPECT_EQ(too_soon.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(too_soon.message(), HasSubstr("retry in 40 s"));
  EXPECT_TRUE(CheckResendAllowed({kNow - absl::Seconds(60)}, kNow, limits).ok());

  std::vector<absl::Time> five;
  for (int i = 1; i <= 5; ++i) five.push_back(kNow - absl::Minutes(10 * i));
  absl::Status hourly = CheckResendAllowed(five, kNow, limits);
  EXPECT_EQ(hourly.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(hourly.message(), HasSubstr("5 codes per hour"));
  // Once the oldest leaves the hour, one more is allowed.
  EXPECT_TRUE(CheckResendAllowed(five, kNow + absl::Minutes(11), limits).ok());
}

TEST(ConfirmationTest, RightCodeVerifiesTheContactItWasSentTo) {
  Verification verification = Pending("123456");
  ConfirmOutcome outcome = EvaluateConfirmation(verification, true, "+79161234567", kNow);
  EXPECT_TRUE(outcome.status.ok());
  EXPECT_TRUE(outcome.verify);
  // The phone changed since: nothing is verified.
  ConfirmOutcome moved = EvaluateConfirmation(verification, true, "+79160000000", kNow);
  EXPECT_EQ(moved.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(moved.verify);
}

TEST(ConfirmationTest, WrongCodesCountDownToFailure) {
  Verification verification = Pending("123456");
  for (int left = 4; left >= 1; --left) {
    ConfirmOutcome outcome = EvaluateConfirmation(verification, false, "+79161234567", kNow);
    EXPECT_TRUE(outcome.count_failure);
    EXPECT_EQ(ViolatedField(outcome.status), "code");
    EXPECT_THAT(outcome.status.message(), HasSubstr(absl::StrCat(left, " attempts left")));
    ++verification.failed_attempts;
  }
  ConfirmOutcome last = EvaluateConfirmation(verification, false, "+79161234567", kNow);
  EXPECT_TRUE(last.count_failure);
  EXPECT_EQ(last.status.code(), absl::StatusCode::kFailedPrecondition);
  ++verification.failed_attempts;
  EXPECT_EQ(StateAt(verification, kNow), VerificationState::kFailed);
  // Even the right code is too late now.
  ConfirmOutcome exhausted = EvaluateConfirmation(verification, true, "+79161234567", kNow);
  EXPECT_FALSE(exhausted.verify);
  EXPECT_FALSE(exhausted.count_failure);
  EXPECT_EQ(exhausted.status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ConfirmationTest, ExpiresAtTheEndOfItsLifetime) {
  Verification verification = Pending("123456");
  const absl::Time end = verification.expire_time;
  EXPECT_TRUE(EvaluateConfirmation(verification, true, "+79161234567", end - absl::Seconds(1))
                  .verify);
  ConfirmOutcome expired = EvaluateConfirmation(verification, true, "+79161234567", end);
  EXPECT_FALSE(expired.verify);
  EXPECT_EQ(expired.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(expired.status.message(), HasSubstr("expired"));
  EXPECT_EQ(StateAt(verification, end), VerificationState::kExpired);
}

TEST(ConfirmationTest, AVerifiedVerificationAnswersARetryOnly) {
  Verification verification = Pending("123456");
  verification.verify_time = kNow;
  // Past its lifetime, a retry with the code still gets OK.
  const absl::Time later = kNow + absl::Hours(1);
  ConfirmOutcome retry = EvaluateConfirmation(verification, true, "+79161234567", later);
  EXPECT_TRUE(retry.status.ok());
  ConfirmOutcome wrong = EvaluateConfirmation(verification, false, "+79161234567", later);
  EXPECT_FALSE(wrong.count_failure);
  EXPECT_EQ(wrong.status.code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loyalty::identity
