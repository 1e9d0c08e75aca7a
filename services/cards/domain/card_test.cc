#include "services/cards/domain/card.h"

#include <random>
#include <set>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

TEST(Ean13Test, CheckDigitOfKnownBarcodes) {
  EXPECT_EQ(Ean13CheckDigit("400638133393"), 1);  // 4006381333931
  EXPECT_EQ(Ean13CheckDigit("590123412345"), 7);  // 5901234123457
  EXPECT_EQ(Ean13CheckDigit("978030640615"), 7);  // ISBN 978-0-306-40615-7
  EXPECT_EQ(Ean13CheckDigit("000000000000"), 0);
  // Only the first twelve digits count.
  EXPECT_EQ(Ean13CheckDigit("4006381333939"), 1);
}

TEST(Ean13Test, Validity) {
  EXPECT_TRUE(IsValidEan13("4006381333931"));
  EXPECT_FALSE(IsValidEan13("4006381333932"));  // wrong check digit
  EXPECT_FALSE(IsValidEan13("400638133393"));   // 12 digits
  EXPECT_FALSE(IsValidEan13("40063813339310"));
  EXPECT_FALSE(IsValidEan13("40063813339a1"));
}

TEST(Ean13Test, GeneratedNumbersAreInStoreEan13) {
  std::mt19937_64 random(42);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string number = GenerateEan13CardNumber(random);
    ASSERT_EQ(number.size(), 13u) << number;
    EXPECT_EQ(number[0], '2') << number;
    EXPECT_TRUE(IsValidEan13(number)) << number;
    EXPECT_TRUE(ValidateCardNumber(number).ok()) << number;
    seen.insert(number);
  }
  // 11 random digits: 2000 draws all but never collide.
  EXPECT_GT(seen.size(), 1990u);
}

TEST(CardNumberTest, LengthAndDigits) {
  EXPECT_TRUE(ValidateCardNumber("123456").ok());
  EXPECT_TRUE(ValidateCardNumber("1234567890123456789").ok());  // 19
  for (absl::string_view bad :
       {"", "12345", "12345678901234567890", "12345a", " 123456", "１２３４５６"}) {
    absl::Status status = ValidateCardNumber(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ViolatedField(status), "number") << bad;
  }
}

TEST(IssueCardTest, NormalizesAndNamesBadFields) {
  IssueCardInput input{.client_id = "6F1C2B1E-3A4D-4C5B-9E8F-0A1B2C3D4E5F"};
  ASSERT_TRUE(NormalizeIssueCard(input).ok());
  EXPECT_EQ(input.client_id, "6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f");

  auto field_of = [](IssueCardInput in) { return ViolatedField(NormalizeIssueCard(in)); };
  EXPECT_EQ(field_of({}), "client_id");
  EXPECT_EQ(field_of({.client_id = "client-7"}), "client_id");
  EXPECT_EQ(field_of({.client_id = input.client_id, .number = "12"}), "number");
  EXPECT_EQ(field_of({.client_id = input.client_id,
                      .request_id = std::string(kMaxRequestIdLength + 1, 'r')}),
            "request_id");
  EXPECT_EQ(field_of({.client_id = input.client_id, .request_id = std::string("r\0", 2)}),
            "request_id");
  IssueCardInput good{.client_id = input.client_id, .number = "123456", .request_id = "r"};
  EXPECT_TRUE(NormalizeIssueCard(good).ok());
}

TEST(CardStatusTest, NamesRoundTrip) {
  for (CardStatus status :
       {CardStatus::kActive, CardStatus::kBlocked, CardStatus::kLost, CardStatus::kDeleted}) {
    EXPECT_EQ(ParseCardStatus(CardStatusName(status)), status);
  }
  EXPECT_EQ(ParseCardStatus("active"), std::nullopt);
}

}  // namespace
}  // namespace loyalty::cards
