#include "services/pos/domain/receipt_engine.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::pos {
namespace {

absl::Status ValidateId(absl::string_view field, const std::string& value, bool required) {
  if (value.empty()) {
    return required ? InvalidField(field, "is required") : absl::OkStatus();
  }
  if (value.size() > 128) return InvalidField(field, "longer than 128 bytes");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Receipt> ReceiptEngine::Calculate(const std::string& program_id,
                                                 const CalculateInput& input,
                                                 Ledger& ledger) {
  std::string store_id = input.store_id.empty() ? input.bound_store_id : input.store_id;
  if (store_id.empty()) return InvalidField("store_id", "is required");
  if (!input.bound_store_id.empty() && store_id != input.bound_store_id) {
    return FieldError(absl::StatusCode::kPermissionDenied, "store_id",
                      "these credentials are bound to another store");
  }
  if (!IsUuid(store_id)) return InvalidField("store_id", "not a store id");
  if (absl::Status status = ValidateId("receipt_number", input.receipt_number, true);
      !status.ok()) {
    return status;
  }
  if (input.card_number.size() > 32) return InvalidField("card_number", "longer than 32 bytes");
  if (input.points_to_spend < 0) {
    return InvalidField("points_to_spend", "must not be negative");
  }
  absl::StatusOr<std::vector<PricedLine>> lines = PriceLines(input.lines);
  if (!lines.ok()) return lines.status();

  absl::Status store = repository_.CheckStore(program_id, store_id);
  if (absl::IsNotFound(store)) return InvalidField("store_id", "no such store in this program");
  if (!store.ok()) return store;
  absl::StatusOr<PosSettings> settings = repository_.GetSettings(program_id);
  if (!settings.ok()) return settings.status();
  absl::StatusOr<std::optional<Receipt>> existing =
      repository_.FindByNumber(program_id, store_id, input.receipt_number);
  if (!existing.ok()) return existing.status();
  if (*existing && (*existing)->state != ReceiptState::kCalculated) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "receipt_number",
                      "this receipt number was already confirmed or cancelled in this store");
  }

  Receipt receipt;
  receipt.program_id = program_id;
  receipt.store_id = store_id;
  receipt.receipt_number = input.receipt_number;
  receipt.card_number = input.card_number;
  receipt.point_value = settings->point_value;
  receipt.lines = *std::move(lines);
  receipt.create_time = clock_();
  if (*existing) {
    receipt.receipt_id = (*existing)->receipt_id;
    receipt.calculation = (*existing)->calculation + 1;
    receipt.create_time = (*existing)->create_time;
    // The new calculation replaces the old one; its points go back first
    // so that they count as available again.
    if (!(*existing)->hold_id.empty()) {
      if (absl::Status status = ledger.VoidHold((*existing)->hold_id); !status.ok()) {
        return status;
      }
    }
  } else {
    receipt.receipt_id = NewUuid();
  }
  for (const PricedLine& line : receipt.lines) receipt.total_amount += line.amount;

  std::optional<CardInfo> card;
  if (input.card_number.empty()) {
    receipt.no_loyalty_reason = NoLoyaltyReason::kNoCard;
  } else {
    absl::StatusOr<CardInfo> found = ledger.GetCard(input.card_number);
    if (absl::IsNotFound(found.status())) {
      receipt.no_loyalty_reason = NoLoyaltyReason::kCardNotFound;
      receipt.messages.push_back("Card not found: sale without loyalty");
    } else if (!found.ok()) {
      return found.status();
    } else if (!found->active) {
      receipt.no_loyalty_reason = NoLoyaltyReason::kCardInactive;
      receipt.messages.push_back("Card is blocked: sale without loyalty");
    } else {
      card = *found;
    }
  }

  if (card) {
    LoyaltyOutcome outcome =
        ApplyLoyalty(receipt.lines, *settings, input.points_to_spend, card->balance.available);
    receipt.max_points_payable = outcome.max_points_payable;
    receipt.points_spent = outcome.points_spent;
    receipt.points_earned = outcome.points_earned;
    if (input.points_to_spend > outcome.points_spent) {
      receipt.messages.push_back(absl::StrCat("Points to spend reduced to ",
                                              outcome.points_spent, " (payable ",
                                              outcome.max_points_payable, ", available ",
                                              card->balance.available, ")"));
    }
    if (receipt.points_spent > 0) {
      receipt.hold_id = absl::StrCat(receipt.receipt_id, ":", receipt.calculation);
      if (absl::Status status =
              ledger.Hold(receipt.hold_id, receipt.card_number, receipt.points_spent);
          !status.ok()) {
        if (absl::IsFailedPrecondition(status)) {
          // Spent elsewhere between our balance read and the hold.
          return FieldError(absl::StatusCode::kFailedPrecondition, "points_to_spend",
                            "the card's available points changed; calculate again");
        }
        return status;
      }
    }
    absl::Time now = clock_();
    receipt.activate_at = now + absl::Seconds(settings->activation_delay_seconds);
    if (settings->points_lifetime_days > 0) {
      receipt.expire_at = *receipt.activate_at + absl::Hours(24) * settings->points_lifetime_days;
    }
    receipt.balance = card->balance;
    receipt.balance.available -= receipt.points_spent;
    receipt.balance.held += receipt.points_spent;
  }
  if (absl::Status status = repository_.SaveCalculation(receipt); !status.ok()) {
    if (!receipt.hold_id.empty()) ledger.VoidHold(receipt.hold_id).IgnoreError();
    return status;
  }
  return receipt;
}

absl::StatusOr<Receipt> ReceiptEngine::Confirm(const std::string& program_id,
                                               const std::string& request_id,
                                               const std::string& receipt_id,
                                               Ledger& ledger) {
  if (absl::Status status = ValidateId("request_id", request_id, false); !status.ok()) {
    return status;
  }
  if (!IsUuid(receipt_id)) return InvalidField("receipt_id", "not a receipt id");
  absl::StatusOr<Receipt> receipt = repository_.BeginConfirm(program_id, receipt_id, request_id);
  if (!receipt.ok() || receipt->state == ReceiptState::kConfirmed) return receipt;

  std::vector<Ledger::Transfer> transfers;
  if (receipt->points_spent > 0) {
    transfers.push_back(Ledger::Transfer{.transfer_id = receipt_id + ":redeem",
                                         .kind = Ledger::Transfer::Kind::kRedemption,
                                         .card_number = receipt->card_number,
                                         .amount = receipt->points_spent,
                                         .hold_id = receipt->hold_id,
                                         .reference = receipt_id});
  }
  if (receipt->points_earned > 0) {
    transfers.push_back(Ledger::Transfer{.transfer_id = receipt_id + ":accrue",
                                         .kind = Ledger::Transfer::Kind::kAccrual,
                                         .card_number = receipt->card_number,
                                         .amount = receipt->points_earned,
                                         .activate_at = receipt->activate_at,
                                         .expire_at = receipt->expire_at,
                                         .reference = receipt_id});
  }
  Balance balance = receipt->balance;
  if (!transfers.empty()) {
    absl::StatusOr<Ledger::CommitResult> committed = ledger.Commit(transfers);
    // The receipt stays CONFIRMING: a retry repeats the same transfers,
    // which the ledger applies once.
    if (!committed.ok()) return committed.status();
    balance = committed->balance;
  }
  return repository_.FinishConfirm(program_id, receipt_id, balance);
}

absl::StatusOr<Receipt> ReceiptEngine::Cancel(const std::string& program_id,
                                              const std::string& receipt_id,
                                              Ledger& ledger) {
  if (!IsUuid(receipt_id)) return InvalidField("receipt_id", "not a receipt id");
  absl::StatusOr<Receipt> receipt = repository_.Cancel(program_id, receipt_id);
  if (!receipt.ok()) return receipt;
  if (!receipt->hold_id.empty()) {
    // Marked cancelled first, so a racing confirm cannot post the hold;
    // a failed void is retried by repeating the cancel (holds also lapse).
    if (absl::Status status = ledger.VoidHold(receipt->hold_id); !status.ok()) return status;
  }
  return receipt;
}

absl::StatusOr<Refund> ReceiptEngine::RefundReceipt(const std::string& program_id,
                                             const std::string& request_id,
                                             const std::string& receipt_id,
                                             const std::vector<RefundRequestLine>& lines,
                                             Ledger& ledger) {
  if (absl::Status status = ValidateId("request_id", request_id, true); !status.ok()) {
    return status;
  }
  if (!IsUuid(receipt_id)) return InvalidField("receipt_id", "not a receipt id");
  absl::StatusOr<pos::Refund> refund =
      repository_.BeginRefund(program_id, receipt_id, request_id, lines);
  if (!refund.ok() || refund->state == RefundState::kDone) return refund;

  std::vector<Ledger::Transfer> transfers;
  int reverse_index = -1;
  if (refund->plan.points_to_reverse > 0) {
    reverse_index = static_cast<int>(transfers.size());
    transfers.push_back(Ledger::Transfer{.transfer_id = refund->refund_id + ":reverse",
                                         .kind = Ledger::Transfer::Kind::kAccrualReversal,
                                         .card_number = refund->card_number,
                                         .amount = refund->plan.points_to_reverse,
                                         .reference = receipt_id});
  }
  if (refund->plan.points_to_return > 0) {
    transfers.push_back(Ledger::Transfer{.transfer_id = refund->refund_id + ":return",
                                         .kind = Ledger::Transfer::Kind::kRedemptionReversal,
                                         .card_number = refund->card_number,
                                         .amount = refund->plan.points_to_return,
                                         .reference = receipt_id});
  }
  int64_t reversed = 0;
  Balance balance;
  if (!transfers.empty()) {
    absl::StatusOr<Ledger::CommitResult> committed = ledger.Commit(transfers);
    if (!committed.ok()) return committed.status();
    if (reverse_index >= 0) reversed = committed->moved[reverse_index];
    balance = committed->balance;
  } else if (!refund->card_number.empty()) {
    absl::StatusOr<CardInfo> card = ledger.GetCard(refund->card_number);
    if (card.ok()) balance = card->balance;
  }
  return repository_.FinishRefund(program_id, refund->refund_id, reversed, balance);
}

}  // namespace loyalty::pos
