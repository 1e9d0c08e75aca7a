#include "services/cards/domain/card.h"

#include "absl/random/distributions.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/cards/domain/fingerprint.h"

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

absl::string_view IssueFormName(IssueForm form) {
  return form == IssueForm::kPlastic ? "PLASTIC" : "VIRTUAL";
}

std::optional<IssueForm> ParseIssueForm(absl::string_view name) {
  for (IssueForm form : {IssueForm::kPlastic, IssueForm::kVirtual}) {
    if (IssueFormName(form) == name) return form;
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

absl::Status NormalizeClientId(absl::string_view field, std::string& client_id) {
  if (client_id.empty()) return InvalidField(field, "required");
  if (!IsUuid(client_id)) return InvalidField(field, "must be a UUID");
  absl::AsciiStrToLower(&client_id);
  return absl::OkStatus();
}

namespace {

// Store ids come from `pos`; cards keeps them as given, lower-cased.
absl::Status NormalizeStoreId(std::string& store_id) {
  if (store_id.empty()) return absl::OkStatus();
  if (!IsUuid(store_id)) return InvalidField("store_id", "must be a UUID");
  absl::AsciiStrToLower(&store_id);
  return absl::OkStatus();
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > kMaxRequestIdLength) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
  }
  return ValidateNoControlCharacters("request_id", request_id);
}

}  // namespace

absl::Status NormalizeIssueCard(IssueCardInput& input) {
  if (absl::Status status = NormalizeClientId("client_id", input.client_id); !status.ok()) {
    return status;
  }
  if (absl::Status status = NormalizeStoreId(input.store_id); !status.ok()) return status;
  if (!input.number.empty()) {
    if (absl::Status status = ValidateCardNumber(input.number); !status.ok()) {
      return status;
    }
  }
  return ValidateRequestId(input.request_id);
}

absl::Status CheckStatusChange(CardStatus from, CardStatus to) {
  if (from == CardStatus::kDeleted && to != CardStatus::kDeleted) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "status",
                      "a deleted card cannot be brought back");
  }
  return absl::OkStatus();
}

absl::Status ValidateReason(absl::string_view field, absl::string_view reason) {
  if (reason.empty()) return InvalidField(field, "required");
  if (reason.size() > kMaxReasonLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxReasonLength, " characters"));
  }
  return ValidateNoControlCharacters(field, reason);
}

absl::Status NormalizeCardBatch(CardBatchInput& input) {
  if (input.request_id.empty()) return InvalidField("request_id", "required");
  if (absl::Status status = ValidateRequestId(input.request_id); !status.ok()) return status;
  if (input.count < 1 || input.count > kMaxBatchSize) {
    return InvalidField("count", absl::StrCat("must be 1..", kMaxBatchSize));
  }
  if (absl::Status status = NormalizeStoreId(input.store_id); !status.ok()) return status;
  if (!input.range) return absl::OkStatus();
  constexpr absl::string_view kField = "number_range.first_number";
  const std::string& first = input.range->first_number;
  if (first.empty() || !AllDigits(first)) return InvalidField(kField, "digits required");
  const size_t length = first.size() + (input.range->append_ean13_check_digit ? 1 : 0);
  if (input.range->append_ean13_check_digit && first.size() != 12) {
    return InvalidField(kField, "12 digits when the EAN-13 check digit is appended");
  }
  if (length < kMinCardNumberLength || length > kMaxCardNumberLength) {
    return InvalidField(kField, absl::StrCat("numbers must have ", kMinCardNumberLength, "..",
                                             kMaxCardNumberLength, " digits"));
  }
  // At most 19 digits: fits in uint64 (< 1.8e19), and so does the last.
  uint64_t start = 0;
  for (char c : first) start = start * 10 + static_cast<uint64_t>(c - '0');
  uint64_t limit = 1;
  for (size_t i = 0; i < first.size(); ++i) limit *= 10;
  if (limit - start < static_cast<uint64_t>(input.count)) {
    return InvalidField(kField, absl::StrCat("the range of ", input.count,
                                             " numbers would outgrow ", first.size(), " digits"));
  }
  return absl::OkStatus();
}

std::vector<std::string> RangeNumbers(const CardNumberRange& range, int count) {
  std::vector<std::string> numbers;
  numbers.reserve(count);
  std::string current = range.first_number;
  for (int i = 0; i < count; ++i) {
    std::string number = current;
    if (range.append_ean13_check_digit) {
      number.push_back(static_cast<char>('0' + Ean13CheckDigit(number)));
    }
    numbers.push_back(std::move(number));
    // Decimal increment in place, keeping the length (validated not to
    // overflow it).
    for (size_t pos = current.size(); pos-- > 0;) {
      if (current[pos] != '9') {
        ++current[pos];
        break;
      }
      current[pos] = '0';
    }
  }
  return numbers;
}

std::string CardBatchFingerprint(const CardBatchInput& input) {
  Fingerprint fingerprint("card_batch.v1");
  fingerprint.Add(input.count).Add(IssueFormName(input.issue_form)).Add(input.store_id);
  if (input.range) {
    fingerprint.Add(input.range->first_number)
        .Add(input.range->append_ean13_check_digit ? "ean13" : "plain");
  } else {
    fingerprint.Add("generated");
  }
  return fingerprint.Digest();
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
