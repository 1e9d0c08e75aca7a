#include "services/cards/domain/card.h"

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::cards {
namespace {

bool AllDigits(absl::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::string_view CardStatusName(CardStatus status) {
  switch (status) {
    case CardStatus::kActive:
      return "ACTIVE";
    case CardStatus::kBlocked:
      return "BLOCKED";
    case CardStatus::kLost:
      return "LOST";
    case CardStatus::kDeleted:
      return "DELETED";
  }
  return "ACTIVE";
}

std::optional<CardStatus> ParseCardStatus(absl::string_view name) {
  for (CardStatus status :
       {CardStatus::kActive, CardStatus::kBlocked, CardStatus::kLost, CardStatus::kDeleted}) {
    if (CardStatusName(status) == name) return status;
  }
  return std::nullopt;
}

absl::Status ValidateNoControlCharacters(absl::string_view field, absl::string_view value) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return InvalidField(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeIssueCard(IssueCardInput& input) {
  if (input.client_id.empty()) return InvalidField("client_id", "required");
  if (!IsUuid(input.client_id)) return InvalidField("client_id", "must be a UUID");
  absl::AsciiStrToLower(&input.client_id);
  if (!input.number.empty()) {
    if (absl::Status status = ValidateCardNumber(input.number); !status.ok()) {
      return status;
    }
  }
  if (input.request_id.size() > kMaxRequestIdLength) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
  }
  return ValidateNoControlCharacters("request_id", input.request_id);
}

absl::Status ValidateCardNumber(absl::string_view number) {
  if (number.size() < kMinCardNumberLength || number.size() > kMaxCardNumberLength ||
      !AllDigits(number)) {
    return InvalidField("number", absl::StrCat("must be ", kMinCardNumberLength, "..",
                                               kMaxCardNumberLength, " digits"));
  }
  return absl::OkStatus();
}

int Ean13CheckDigit(absl::string_view digits) {
  // Weights 1, 3, 1, 3, ... from the left over the first 12 digits.
  int sum = 0;
  for (size_t i = 0; i < 12; ++i) {
    int digit = digits[i] - '0';
    sum += (i % 2 == 0) ? digit : 3 * digit;
  }
  return (10 - sum % 10) % 10;
}

bool IsValidEan13(absl::string_view number) {
  return number.size() == 13 && AllDigits(number) && Ean13CheckDigit(number) == number[12] - '0';
}

std::string GenerateEan13CardNumber(absl::BitGenRef random) {
  std::string number = "2";
  for (int i = 0; i < 11; ++i) {
    number.push_back(static_cast<char>('0' + absl::Uniform(random, 0, 10)));
  }
  number.push_back(static_cast<char>('0' + Ean13CheckDigit(number)));
  return number;
}

std::string RandomCardNumberGenerator::Next() {
  thread_local absl::BitGen random;
  return GenerateEan13CardNumber(random);
}

}  // namespace loyalty::cards
