#include "services/pos/domain/promo_codes.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

bool IsCodeChar(char c) {
  return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '-' || c == '_';
}

std::string CodeField(size_t index) { return absl::StrCat("promo_codes[", index, "]"); }

// Whether the previous calculation's reservation can serve this one: it
// still counts a use for this receipt.
bool StillHolds(const PromoCodes::Reservation& reservation, absl::Time now) {
  switch (reservation.state) {
    case PromoCodes::Reservation::State::kConsumed:
      // A confirm consumed it and then the ledger refused the receipt.
      return true;
    case PromoCodes::Reservation::State::kReserved:
      return reservation.expire_time > now;
    case PromoCodes::Reservation::State::kReleased:
      return false;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> NormalisePromoCodes(
    const std::vector<std::string>& entered) {
  if (entered.size() > kMaxPromoCodesPerReceipt) {
    return InvalidField("promo_codes",
                        absl::StrCat("at most ", kMaxPromoCodesPerReceipt, " codes per receipt"));
  }
  std::vector<std::string> codes;
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < entered.size(); ++i) {
    std::string code = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(entered[i]));
    if (code.empty()) return InvalidField(CodeField(i), "is empty");
    if (code.size() > kMaxPromoCodeChars) {
      return InvalidField(CodeField(i),
                          absl::StrCat("longer than ", kMaxPromoCodeChars, " characters"));
    }
    for (char c : code) {
      if (!IsCodeChar(c)) {
        return InvalidField(CodeField(i), "may contain only letters A-Z, digits, '-' and '_'");
      }
    }
    if (!seen.insert(code).second) return InvalidField(CodeField(i), "entered twice");
    codes.push_back(std::move(code));
  }
  return codes;
}

PromoCodeCheck ReservePromoCodes(PromoCodes& port, const ReserveInput& input,
                                 absl::FunctionRef<std::string()> random_suffix) {
  absl::flat_hash_map<std::string, const ReceiptPromoCode*> previous;
  for (const ReceiptPromoCode& code : input.previous) {
    if (!code.reservation_id.empty()) previous[code.code] = &code;
  }
  PromoCodeCheck check;
  bool unavailable = false;
  for (const std::string& code : input.codes) {
    ReceiptPromoCode& out = check.codes.emplace_back(ReceiptPromoCode{.code = code});
    if (unavailable) continue;  // stays UNCHECKED
    PromoCodes::ReserveRequest request{.code = code,
                                       .client_id = input.client_id,
                                       .receipt_reference = input.receipt_id};
    absl::StatusOr<PromoCodes::ReserveResult> result;
    if (auto held = previous.find(code); held != previous.end()) {
      request.reservation_id = held->second->reservation_id;
      result = port.Reserve(input.program_id, request);
      if (result.ok() && result->reservation && !StillHolds(*result->reservation, input.now)) {
        // Lapsed since the previous calculation: reserve anew under a new id.
        request.reservation_id.clear();
      }
    }
    if (request.reservation_id.empty()) {
      request.reservation_id =
          absl::StrCat(input.receipt_id, ":", input.calculation, ":", random_suffix(), ":", code);
      result = port.Reserve(input.program_id, request);
      if (result.ok() && result->reservation) check.new_reservations.push_back(request.reservation_id);
    }
    if (!result.ok()) {
      // Priced without codes rather than not at all: the sale goes on.
      unavailable = true;
      check.messages.push_back("Promo codes could not be checked: priced without them");
      continue;
    }
    if (!result->reservation) {
      out.outcome = result->refusal.outcome;
      out.reason = result->refusal.reason;
      continue;
    }
    out.reservation_id = request.reservation_id;
    out.pool_id = result->reservation->pool_id;
    const size_t index = check.codes.size() - 1;
    check.entered.push_back({.code = code, .pool_id = ""});
    check.entered_code.push_back(index);
    check.entered.push_back({.code = code, .pool_id = out.pool_id});
    check.entered_code.push_back(index);
  }
  return check;
}

std::vector<std::string> SettlePromoCodes(PromoCodeCheck& check,
                                          const std::vector<std::string>& used_by,
                                          const std::vector<ReceiptPromoCode>& previous) {
  for (size_t i = 0; i < check.entered.size() && i < used_by.size(); ++i) {
    ReceiptPromoCode& code = check.codes[check.entered_code[i]];
    if (code.campaign_id.empty() && !used_by[i].empty()) code.campaign_id = used_by[i];
  }
  std::vector<std::string> release;
  absl::flat_hash_set<std::string> kept;
  for (ReceiptPromoCode& code : check.codes) {
    if (code.reservation_id.empty()) {
      if (code.outcome != PromoCodeOutcome::kUnchecked && !code.reason.empty()) {
        check.messages.push_back(absl::StrCat("Promo code ", code.code, ": ", code.reason));
      }
      continue;
    }
    if (code.campaign_id.empty()) {
      // No campaign used it, so it must not burn a use.
      release.push_back(code.reservation_id);
      code.reservation_id.clear();
      code.pool_id.clear();
      code.outcome = PromoCodeOutcome::kNotUsed;
      code.reason = "no campaign applies it to this receipt";
      check.messages.push_back(absl::StrCat("Promo code ", code.code, ": ", code.reason));
      continue;
    }
    code.outcome = PromoCodeOutcome::kApplied;
    kept.insert(code.reservation_id);
  }
  for (const ReceiptPromoCode& code : previous) {
    if (!code.reservation_id.empty() && !kept.contains(code.reservation_id)) {
      release.push_back(code.reservation_id);
    }
  }
  return release;
}

std::vector<std::string> HeldReservations(const Receipt& receipt) {
  std::vector<std::string> held;
  for (const ReceiptPromoCode& code : receipt.promo_codes) {
    if (!code.reservation_id.empty()) held.push_back(code.reservation_id);
  }
  return held;
}

absl::Status ConsumePromoCodes(PromoCodes* port, const Receipt& receipt) {
  for (const ReceiptPromoCode& code : receipt.promo_codes) {
    if (code.reservation_id.empty()) continue;
    if (port == nullptr) return absl::InternalError("promo codes are not configured");
    absl::Status status = port->Consume(receipt.program_id, code.reservation_id);
    if (absl::IsFailedPrecondition(status)) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "promo_codes",
                        absl::StrCat("the reservation of promo code ", code.code,
                                     " lapsed; calculate the receipt again"));
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ReleasePromoCodes(PromoCodes* port, const Receipt& receipt) {
  for (const ReceiptPromoCode& code : receipt.promo_codes) {
    if (code.reservation_id.empty()) continue;
    if (port == nullptr) return absl::InternalError("promo codes are not configured");
    if (absl::Status status = port->Release(receipt.program_id, code.reservation_id);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

void ReleaseQuietly(PromoCodes* port, const std::string& program_id,
                    const std::vector<std::string>& reservation_ids) {
  if (port == nullptr) return;
  for (const std::string& id : reservation_ids) port->Release(program_id, id).IgnoreError();
}

bool WholeReceiptRefunded(const Receipt& receipt) {
  for (const PricedLine& line : receipt.lines) {
    if (line.refunded_quantity_milli < line.quantity_milli) return false;
  }
  return true;
}

NewReservations::~NewReservations() { ReleaseQuietly(port_, program_id_, ids_); }

}  // namespace loyalty::pos
