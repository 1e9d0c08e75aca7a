#include "services/cards/domain/card.h"

#include <random>
#include <set>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
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

TEST(CardStatusTest, DeletedIsFinalOthersMoveFreely) {
  const CardStatus all[] = {CardStatus::kActive, CardStatus::kBlocked, CardStatus::kLost,
                            CardStatus::kDeleted};
  for (CardStatus from : all) {
    for (CardStatus to : all) {
      absl::Status status = CheckStatusChange(from, to);
      if (from == CardStatus::kDeleted && to != CardStatus::kDeleted) {
        EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(ViolatedField(status), "status");
      } else {
        EXPECT_TRUE(status.ok()) << CardStatusName(from) << " -> " << CardStatusName(to);
      }
    }
  }
}

TEST(CardStatusTest, ReasonIsRequiredAndBounded) {
  EXPECT_TRUE(ValidateReason("reason", "reported stolen").ok());
  EXPECT_EQ(ViolatedField(ValidateReason("reason", "")), "reason");
  EXPECT_EQ(ViolatedField(ValidateReason("reason", std::string(kMaxReasonLength + 1, 'x'))),
            "reason");
  EXPECT_EQ(ViolatedField(ValidateReason("why", std::string("a\0b", 3))), "why");
}

TEST(IssueFormTest, NamesRoundTrip) {
  for (IssueForm form : {IssueForm::kPlastic, IssueForm::kVirtual}) {
    EXPECT_EQ(ParseIssueForm(IssueFormName(form)), form);
  }
  EXPECT_EQ(ParseIssueForm("plastic"), std::nullopt);
}

TEST(CardBatchTest, RangesKeepTheirLengthAndGetCheckDigits) {
  EXPECT_THAT(RangeNumbers({.first_number = "000998"}, 3),
              ::testing::ElementsAre("000998", "000999", "001000"));
  std::vector<std::string> ean = RangeNumbers(
      {.first_number = "200000000099", .append_ean13_check_digit = true}, 2);
  ASSERT_EQ(ean.size(), 2u);
  EXPECT_EQ(ean[0].substr(0, 12), "200000000099");
  EXPECT_EQ(ean[1].substr(0, 12), "200000000100");
  EXPECT_TRUE(IsValidEan13(ean[0]));
  EXPECT_TRUE(IsValidEan13(ean[1]));
}

TEST(CardBatchTest, ValidationNamesTheField) {
  auto field_of = [](CardBatchInput input) { return ViolatedField(NormalizeCardBatch(input)); };
  const CardBatchInput good{.request_id = "b-1", .count = 10};
  EXPECT_EQ(field_of(good), std::nullopt);
  CardBatchInput bad = good;
  bad.request_id = "";
  EXPECT_EQ(field_of(bad), "request_id");
  bad = good;
  bad.count = 0;
  EXPECT_EQ(field_of(bad), "count");
  bad.count = kMaxBatchSize + 1;
  EXPECT_EQ(field_of(bad), "count");
  bad = good;
  bad.store_id = "store-1";
  EXPECT_EQ(field_of(bad), "store_id");
  bad = good;
  bad.range = CardNumberRange{.first_number = "12a456"};
  EXPECT_EQ(field_of(bad), "number_range.first_number");
  bad.range = CardNumberRange{.first_number = "12345"};  // 5 digits: too short
  EXPECT_EQ(field_of(bad), "number_range.first_number");
  bad.range = CardNumberRange{.first_number = "1234567890123", .append_ean13_check_digit = true};
  EXPECT_EQ(field_of(bad), "number_range.first_number");
  bad.range = CardNumberRange{.first_number = "999995"};  // 10 numbers outgrow 6 digits
  EXPECT_EQ(field_of(bad), "number_range.first_number");
  bad.count = 5;
  EXPECT_EQ(field_of(bad), std::nullopt) << "999995..999999 fits";
  bad.range = CardNumberRange{.first_number = "9999999999999999990"};  // 19 digits
  bad.count = 10;
  EXPECT_EQ(field_of(bad), std::nullopt);
  bad.count = 11;
  EXPECT_EQ(field_of(bad), "number_range.first_number");
}

TEST(CardBatchTest, FingerprintCoversTheRequestNotTheId) {
  CardBatchInput a{.request_id = "b-1", .count = 10};
  CardBatchInput b = a;
  b.request_id = "b-2";
  EXPECT_EQ(CardBatchFingerprint(a), CardBatchFingerprint(b));
  b.count = 11;
  EXPECT_NE(CardBatchFingerprint(a), CardBatchFingerprint(b));
  b = a;
  b.range = CardNumberRange{.first_number = "100000"};
  EXPECT_NE(CardBatchFingerprint(a), CardBatchFingerprint(b));
  CardBatchInput c = b;
  c.range->append_ean13_check_digit = true;
  EXPECT_NE(CardBatchFingerprint(b), CardBatchFingerprint(c));
}

}  // namespace
}  // namespace loyalty::cards
