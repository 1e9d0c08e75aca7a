#include "services/pos/domain/receipt_engine.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "services/pos/domain/campaign_actions.h"

namespace loyalty::pos {
namespace {

absl::Status ValidateId(absl::string_view field, const std::string& value, bool required) {
  if (value.empty()) {
    return required ? InvalidField(field, "is required") : absl::OkStatus();
  }
  if (value.size() > 128) return InvalidField(field, "longer than 128 bytes");
  return absl::OkStatus();
}

// Receipt ids arrive as text; the stored form is lower case, and ledger ids
// are built from stored ids only, so "ABC" and "abc" are one receipt.
absl::StatusOr<std::string> ReceiptId(const std::string& text) {
  if (!IsUuid(text)) return InvalidField("receipt_id", "not a receipt id");
  return absl::AsciiStrToLower(text);
}

// Errors after which a retry of the same ledger call may succeed, or may
// already have succeeded unseen.
bool OutcomeUnknown(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsAborted(status) || absl::IsInternal(status) || absl::IsUnknown(status) ||
         absl::IsCancelled(status);
}

}  // namespace

absl::StatusOr<Receipt> ReceiptEngine::Calculate(const std::string& program_id,
                                                 const CalculateInput& input, Ledger& ledger) {
  std::string store_id =
      absl::AsciiStrToLower(input.store_id.empty() ? input.bound_store_id : input.store_id);
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
  absl::StatusOr<std::vector<std::string>> promo_codes = NormalisePromoCodes(input.promo_codes);
  if (!promo_codes.ok()) return promo_codes.status();
  if (absl::Status status = ValidateCertificates(input.certificates); !status.ok()) return status;

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
  receipt.taken_time = input.taken_time;
  // When the sale happened: campaign schedules and the activation of the
  // points earned count from it (an offline receipt's taken time).
  const absl::Time sold_at = input.taken_time.value_or(receipt.create_time);
  // Points the previous calculation of this receipt holds on the same card
  // come back when it is replaced, so they count as available for it.
  int64_t replaced_hold = 0;
  if (*existing) {
    receipt.receipt_id = (*existing)->receipt_id;
    receipt.calculation = (*existing)->calculation + 1;
    receipt.create_time = (*existing)->create_time;
    if (!(*existing)->hold_id.empty() && (*existing)->card_number == input.card_number) {
      replaced_hold = (*existing)->points_spent;
    }
  } else {
    receipt.receipt_id = NewUuid();
  }
  for (const PricedLine& line : receipt.lines) receipt.total_amount += line.amount;

  // The card first: campaigns for members read its level and client.
  std::optional<CardInfo> card;
  std::string card_message;
  if (input.card_number.empty()) {
    receipt.no_loyalty_reason = NoLoyaltyReason::kNoCard;
  } else {
    absl::StatusOr<CardInfo> found = ledger.GetCard(input.card_number);
    if (absl::IsNotFound(found.status())) {
      receipt.no_loyalty_reason = NoLoyaltyReason::kCardNotFound;
      card_message = "Card not found: sale without loyalty";
    } else if (!found.ok()) {
      return found.status();
    } else if (!found->active) {
      receipt.no_loyalty_reason = NoLoyaltyReason::kCardInactive;
      card_message = "Card is blocked: sale without loyalty";
    } else {
      card = *found;
      card->balance.available = card->AvailableAfterRelease(replaced_hold);
      card->balance.held -= replaced_hold;
    }
  }

  // Promo codes are reserved before pricing: the reservation is what checks
  // them (validity, uses left, the client's limit).
  NewReservations new_reservations(promo_codes_, program_id);
  const std::vector<ReceiptPromoCode> no_codes;
  const std::vector<ReceiptPromoCode>& previous_codes =
      *existing ? (*existing)->promo_codes : no_codes;
  PromoCodeCheck promo;
  if (promo_codes_ != nullptr) {
    promo = ReservePromoCodes(*promo_codes_,
                              {.program_id = program_id,
                               .receipt_id = receipt.receipt_id,
                               .calculation = receipt.calculation,
                               .client_id = card ? card->client_id : "",
                               .codes = *promo_codes,
                               .previous = previous_codes,
                               .now = clock_()},
                              [] { return RandomHex(4); });
    new_reservations.Track(promo.new_reservations);
  } else {
    for (const std::string& code : *promo_codes) promo.codes.push_back({.code = code});
  }

  // Campaign discounts first: the points to pay with and to earn are
  // computed from what is left to pay after them.
  const CardInfo* member_card = card ? &*card : nullptr;
  CampaignPricing campaign_pricing;
  if (campaigns_ != nullptr) {
    absl::StatusOr<CampaignPricing> priced = campaigns_->Price(
        program_id, store_id, sold_at, *settings, member_card, receipt.lines, promo.entered, {});
    if (!priced.ok()) return priced.status();
    campaign_pricing = *std::move(priced);
    receipt.messages = campaign_pricing.messages;
    receipt.applied_campaigns = campaign_pricing.applied;
  }

  // CMP-5: after the card is known (bonus points and per-client caps need
  // it), before the points, which depend on the discounts left.
  const bool budgeted = budgets_ != nullptr && !campaign_pricing.consumption.empty();
  if (budgeted) {
    absl::Time now = clock_();
    absl::StatusOr<CampaignPricing> within = PriceWithinBudgets(
        *budgets_,
        {.program_id = program_id,
         .receipt_id = receipt.receipt_id,
         .calculation = receipt.calculation,
         .card_number = card ? input.card_number : ""},
        card.has_value(), now, campaign_pricing, [&](const std::vector<std::string>& excluded) {
          return campaigns_->Price(program_id, store_id, sold_at, *settings, member_card,
                                   receipt.lines, promo.entered, excluded);
        });
    if (!within.ok()) return within.status();
    receipt.messages = within->messages;
    receipt.applied_campaigns = within->applied;
    campaign_pricing = *std::move(within);
    receipt.budget_reserved = !ClaimsOf(campaign_pricing.consumption, card.has_value()).empty();
  }
  receipt.gifts = campaign_pricing.gifts;
  receipt.actions = AssignActions(std::move(campaign_pricing.actions), card ? card->client_id : "",
                                  receipt.no_loyalty_reason);
  // A calculation that is not saved must not hold budget until it lapses.
  // Only a new receipt's id is this attempt's alone: a recalculation shares
  // its key with any concurrent recalculation of the receipt, which may be
  // the one saved, so its reservations are left to lapse.
  auto release_budgets = [&] {
    if (receipt.budget_reserved && receipt.calculation == 1) {
      budgets_->Release(program_id, receipt.receipt_id, receipt.calculation).IgnoreError();
    }
  };
  std::vector<std::string> promo_releases =
      SettlePromoCodes(promo, campaign_pricing.promo_code_campaigns, previous_codes);
  receipt.promo_codes = promo.codes;
  receipt.messages.insert(receipt.messages.end(), promo.messages.begin(), promo.messages.end());
  if (!card_message.empty()) receipt.messages.push_back(std::move(card_message));

  if (card) {
    LoyaltyOutcome outcome =
        ApplyLoyalty(receipt.lines, *settings, input.points_to_spend, card->balance.available);
    if (input.points_to_spend > outcome.max_points_payable && input.reduce_points_to_payable) {
      receipt.messages.push_back(absl::StrCat(
          "Points to spend reduced from ", input.points_to_spend, " to ", outcome.points_spent,
          ": at most ", outcome.max_points_payable, " could pay this receipt (the card has ",
          card->balance.available, " available)"));
    } else if (input.points_to_spend > outcome.max_points_payable) {
      // Refused rather than silently reduced: the buyer was promised a
      // payment the till must not take. Nothing has changed yet.
      release_budgets();
      return FieldError(absl::StatusCode::kFailedPrecondition, "points_to_spend",
                        absl::StrCat("at most ", outcome.max_points_payable,
                                     " points can pay this receipt (the card has ",
                                     card->balance.available, " available)"));
    }
    receipt.max_points_payable = outcome.max_points_payable;
    receipt.points_spent = outcome.points_spent;
    receipt.points_earned = outcome.points_earned;
    // Campaign bonus points need a member to earn them.
    for (size_t i = 0;
         i < campaign_pricing.line_bonus_points.size() && i < receipt.lines.size(); ++i) {
      receipt.lines[i].points_earned += campaign_pricing.line_bonus_points[i];
    }
    receipt.points_earned += campaign_pricing.bonus_points;
    receipt.activate_at = sold_at + absl::Seconds(settings->activation_delay_seconds);
    if (settings->points_lifetime_days > 0) {
      receipt.expire_at = *receipt.activate_at + absl::Hours(24) * settings->points_lifetime_days;
    }
    receipt.balance = card->balance;
    receipt.balance.available -= receipt.points_spent;
    receipt.balance.held += receipt.points_spent;
  }

  if (*existing) {
    // Claim the recalculation first: from here no confirm can post the old
    // hold, and a concurrent recalculation of the same receipt loses.
    if (absl::Status status = repository_.BeginRecalculation(program_id, receipt.receipt_id,
                                                             (*existing)->calculation);
        !status.ok()) {
      release_budgets();
      return status;
    }
    if (!(*existing)->hold_id.empty()) {
      // If this fails the old hold lapses by its TTL; the receipt already
      // refuses confirmation until it is calculated again.
      if (absl::Status status = ledger.VoidHold((*existing)->hold_id); !status.ok()) {
        release_budgets();
        return status;
      }
    }
    // Likewise; voided before the new holds so that what they reserved on
    // a certificate offered again is available to this calculation.
    if (absl::Status status = VoidCertificateHolds(certificates_, **existing); !status.ok()) {
      release_budgets();
      return status;
    }
  }
  if (receipt.points_spent > 0) {
    // Unique per attempt: a retried or concurrent calculation never shares
    // (and so never voids) another attempt's hold.
    receipt.hold_id = absl::StrCat(receipt.receipt_id, ":", receipt.calculation, ":", RandomHex(4));
    if (absl::Status status =
            ledger.Hold(receipt.hold_id, receipt.card_number, receipt.points_spent);
        !status.ok()) {
      release_budgets();
      if (absl::IsFailedPrecondition(status)) {
        // Spent elsewhere between our balance read and the hold.
        return FieldError(absl::StatusCode::kFailedPrecondition, "points_to_spend",
                          "the card's available points changed; calculate again");
      }
      return status;
    }
  }
  if (!input.certificates.empty()) {
    // Last: certificates pay what discounts and points left to pay.
    receipt.certificates = HoldCertificates(certificates_,
                                            {.program_id = program_id,
                                             .receipt_id = receipt.receipt_id,
                                             .calculation = receipt.calculation,
                                             .amount_to_pay = AmountToPay(receipt.lines,
                                                                          receipt.point_value),
                                             .certificates = input.certificates},
                                            [] { return RandomHex(4); }, receipt.messages);
  }
  if (absl::Status status = repository_.SaveCalculation(receipt); !status.ok()) {
    if (!receipt.hold_id.empty()) ledger.VoidHold(receipt.hold_id).IgnoreError();
    VoidCertificateHoldsQuietly(certificates_, program_id, receipt.certificates);
    release_budgets();
    return status;
  }
  if (budgets_ != nullptr && receipt.calculation > 1 &&
      (receipt.budget_reserved || (*existing)->budget_reserved)) {
    // The calculations this one replaced hold nothing any more; if this
    // fails they lapse by their time limit.
    budgets_->ReleaseBefore(program_id, receipt.receipt_id, receipt.calculation).IgnoreError();
  }
  new_reservations.Keep();
  ReleaseQuietly(promo_codes_, program_id, promo_releases);
  return receipt;
}

absl::StatusOr<Receipt> ReceiptEngine::Confirm(const std::string& program_id,
                                               const std::string& bound_store_id,
                                               const std::string& request_id,
                                               const std::string& receipt_id_text, Ledger& ledger) {
  if (absl::Status status = ValidateId("request_id", request_id, false); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::string> receipt_id = ReceiptId(receipt_id_text);
  if (!receipt_id.ok()) return receipt_id.status();
  absl::StatusOr<Receipt> receipt =
      repository_.BeginConfirm(program_id, bound_store_id, *receipt_id, request_id);
  if (!receipt.ok() || receipt->state == ReceiptState::kConfirmed) return receipt;
  return FinishConfirming(*receipt, ledger);
}

absl::StatusOr<Receipt> ReceiptEngine::FinishConfirming(const Receipt& receipt, Ledger& ledger) {
  const std::string& id = receipt.receipt_id;
  const bool budgeted = budgets_ != nullptr && receipt.budget_reserved;
  if (budgeted) {
    // Before the ledger: a lapsed reservation the budget no longer covers
    // sends the receipt back to be calculated, with nothing posted.
    absl::Status consumed =
        budgets_->Consume(receipt.program_id, id, receipt.calculation, clock_());
    if (absl::IsFailedPrecondition(consumed)) {
      if (absl::Status status = repository_.RevertConfirm(receipt.program_id, id); !status.ok()) {
        return status;
      }
      return consumed;
    }
    if (!consumed.ok()) return consumed;
  }
  // Sends the receipt back to be calculated after a refusal, giving back
  // what this confirmation consumed. Each step before the receipt leaves
  // CONFIRMING is idempotent: a failure leaves it CONFIRMING and a retry,
  // or the recovery task, repeats them.
  auto send_back = [&](absl::Status refusal) -> absl::Status {
    if (budgeted) {
      if (absl::Status status =
              budgets_->Unconsume(receipt.program_id, id, receipt.calculation, clock_());
          !status.ok()) {
        return status;
      }
    }
    const bool holds_certificates =
        std::any_of(receipt.certificates.begin(), receipt.certificates.end(),
                    [](const ReceiptCertificate& c) { return !c.hold_id.empty(); });
    if (!holds_certificates) {
      if (absl::Status status = repository_.RevertConfirm(receipt.program_id, id); !status.ok()) {
        return status;
      }
      return refusal;
    }
    // Certificates may have been posted: the receipt leaves CONFIRMING,
    // with its next calculation claimed and the holds recorded as to be
    // released, before anything is given back, so that no confirm can post
    // them again and a crash leaves the release to the recovery task.
    absl::StatusOr<std::vector<ReceiptCertificate>> releases =
        repository_.SendBack(receipt.program_id, id, receipt.calculation);
    if (!releases.ok()) return releases.status();
    // The points hold is no longer any receipt's; if this fails it lapses.
    if (!receipt.hold_id.empty()) ledger.VoidHold(receipt.hold_id).IgnoreError();
    // If this fails the recovery task finishes it; the refusal stands.
    FinishReleases(receipt.program_id, id, *releases).IgnoreError();
    return refusal;
  };
  // Promo code uses first: one that lapsed refuses the receipt before any
  // point moves; once consumed, a retry consumes again harmlessly.
  if (absl::Status status = ConsumePromoCodes(promo_codes_, receipt); !status.ok()) {
    if (!absl::IsFailedPrecondition(status)) return status;  // stays CONFIRMING
    return send_back(status);
  }
  // Certificates before points: a lapsed certificate hold refuses the
  // receipt before any point moves. A retry posts again harmlessly.
  if (absl::Status status = PostCertificates(certificates_, receipt); !status.ok()) {
    if (!absl::IsFailedPrecondition(status)) return status;  // stays CONFIRMING
    return send_back(status);
  }
  std::vector<Ledger::Transfer> transfers;
  if (receipt.points_spent > 0) {
    transfers.push_back(Ledger::Transfer{.transfer_id = id + ":redeem",
                                         .kind = Ledger::Transfer::Kind::kRedemption,
                                         .card_number = receipt.card_number,
                                         .amount = receipt.points_spent,
                                         .hold_id = receipt.hold_id,
                                         .reference = id,
                                         .partner_id = receipt.partner_id});
  }
  if (receipt.points_earned > 0) {
    transfers.push_back(Ledger::Transfer{.transfer_id = id + ":accrue",
                                         .kind = Ledger::Transfer::Kind::kAccrual,
                                         .card_number = receipt.card_number,
                                         .amount = receipt.points_earned,
                                         .activate_at = receipt.activate_at,
                                         .expire_at = receipt.expire_at,
                                         .reference = id,
                                         .partner_id = receipt.partner_id});
  }
  Balance balance = receipt.balance;
  if (!transfers.empty()) {
    absl::StatusOr<Ledger::CommitResult> committed = ledger.Commit(transfers);
    if (!committed.ok()) {
      if (OutcomeUnknown(committed.status())) {
        // Stays CONFIRMING: a retry, or the recovery task, repeats the same
        // transfers, which the ledger applies once.
        return committed.status();
      }
      // Refused outright (hold lapsed, card blocked): no point was posted,
      // so the receipt goes back to be calculated again.
      return send_back(absl::FailedPreconditionError(absl::StrCat(
          "the ledger refused the receipt (", committed.status().message(),
          "); calculate it again")));
    }
    balance = committed->balance;
  }
  return repository_.FinishConfirm(receipt.program_id, id, balance);
}

absl::StatusOr<Cancellation> ReceiptEngine::Cancel(const std::string& program_id,
                                                   const std::string& bound_store_id,
                                                   const std::string& receipt_id_text,
                                                   Ledger& ledger) {
  absl::StatusOr<std::string> receipt_id = ReceiptId(receipt_id_text);
  if (!receipt_id.ok()) return receipt_id.status();
  absl::StatusOr<Cancellation> cancellation =
      repository_.Cancel(program_id, bound_store_id, *receipt_id);
  if (!cancellation.ok()) return cancellation.status();
  if (cancellation->refund) {
    // A confirmed sale, undone by one refund of what is left: the same
    // reversal as a refund, with the same retry and recovery.
    if (cancellation->refund->state == RefundState::kDone) return cancellation;
    absl::StatusOr<Refund> refund = FinishRefunding(program_id, *cancellation->refund, ledger);
    if (!refund.ok()) return refund.status();
    absl::StatusOr<Receipt> cancelled = repository_.Get(program_id, *receipt_id);
    if (!cancelled.ok()) return cancelled.status();
    return Cancellation{.receipt = *std::move(cancelled), .refund = *std::move(refund)};
  }
  const Receipt* receipt = &cancellation->receipt;
  if (budgets_ != nullptr && receipt->budget_reserved) {
    // After the cancel, so no confirm can consume them meanwhile; a failure
    // is retried by repeating the cancel (reservations also lapse).
    if (absl::Status status = budgets_->Release(program_id, receipt->receipt_id, 0); !status.ok()) {
      return status;
    }
  }
  if (!receipt->hold_id.empty()) {
    // Marked cancelled first, so a racing confirm cannot post the hold;
    // a failed void is retried by repeating the cancel (holds also lapse).
    if (absl::Status status = ledger.VoidHold(receipt->hold_id); !status.ok()) return status;
  }
  if (absl::Status status = VoidCertificateHolds(certificates_, *receipt); !status.ok()) {
    return status;
  }
  if (absl::Status status = ReleasePromoCodes(promo_codes_, *receipt); !status.ok()) {
    return status;
  }
  return cancellation;
}

absl::StatusOr<Refund> ReceiptEngine::RefundReceipt(const std::string& program_id,
                                                    const std::string& bound_store_id,
                                                    const std::string& request_id,
                                                    const std::string& receipt_id_text,
                                                    const std::vector<RefundRequestLine>& lines,
                                                    Ledger& ledger) {
  if (absl::Status status = ValidateId("request_id", request_id, true); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::string> receipt_id = ReceiptId(receipt_id_text);
  if (!receipt_id.ok()) return receipt_id.status();
  absl::StatusOr<Refund> refund =
      repository_.BeginRefund(program_id, bound_store_id, *receipt_id, request_id, lines);
  if (!refund.ok() || refund->state == RefundState::kDone) return refund;
  return FinishRefunding(program_id, *refund, ledger);
}

absl::StatusOr<Refund> ReceiptEngine::FinishRefunding(const std::string& program_id,
                                                      const Refund& refund, Ledger& ledger) {
  std::vector<Ledger::Transfer> transfers;
  int reverse_index = -1;
  if (refund.plan.points_to_reverse > 0) {
    reverse_index = static_cast<int>(transfers.size());
    transfers.push_back(Ledger::Transfer{.transfer_id = refund.refund_id + ":reverse",
                                         .kind = Ledger::Transfer::Kind::kAccrualReversal,
                                         .card_number = refund.card_number,
                                         .amount = refund.plan.points_to_reverse,
                                         .reference = refund.receipt_id,
                                         .partner_id = refund.partner_id,
                                         .negative_floor = refund.negative_floor});
  }
  if (refund.plan.points_to_return > 0) {
    transfers.push_back(Ledger::Transfer{.transfer_id = refund.refund_id + ":return",
                                         .kind = Ledger::Transfer::Kind::kRedemptionReversal,
                                         .card_number = refund.card_number,
                                         .amount = refund.plan.points_to_return,
                                         .reference = refund.receipt_id,
                                         .partner_id = refund.partner_id});
  }
  int64_t reversed = 0;
  int64_t into_negative = 0;
  Balance balance;
  if (!transfers.empty()) {
    absl::StatusOr<Ledger::CommitResult> committed = ledger.Commit(transfers);
    if (!committed.ok()) return committed.status();
    if (committed->moved.size() != transfers.size() ||
        committed->into_debt.size() != transfers.size()) {
      return absl::InternalError("the ledger answered a different number of transfers");
    }
    if (reverse_index >= 0) {
      reversed = committed->moved[reverse_index];
      into_negative = committed->into_debt[reverse_index];
    }
    balance = committed->balance;
  } else if (!refund.card_number.empty()) {
    absl::StatusOr<CardInfo> card = ledger.GetCard(refund.card_number);
    if (!card.ok()) return card.status();
    balance = card->balance;
  }
  // Before the refund is DONE, so a retry (or the recovery task) finishes
  // it; each certificate refund is idempotent by the refund id.
  if (absl::Status status = RefundCertificates(certificates_, program_id, refund); !status.ok()) {
    return status;
  }
  if (budgets_ != nullptr) {
    // Before the refund is DONE, so a retry (or the recovery task) repeats
    // it if it fails; it is idempotent.
    if (absl::Status status = budgets_->GiveBack(program_id, refund.receipt_id); !status.ok()) {
      return status;
    }
  }
  if (promo_codes_ != nullptr) {
    // A whole refund gives the code uses back; a partial one keeps them
    // (the rest of the sale stands). Before FinishRefund, so a retry or the
    // recovery task repeats it until done.
    absl::StatusOr<Receipt> receipt = repository_.Get(program_id, refund.receipt_id);
    if (!receipt.ok()) return receipt.status();
    if (WholeReceiptRefunded(*receipt)) {
      if (absl::Status status = ReleasePromoCodes(promo_codes_, *receipt); !status.ok()) {
        return status;
      }
    }
  }
  return repository_.FinishRefund(program_id, refund.refund_id, reversed, into_negative, balance);
}

absl::Status ReceiptEngine::FinishReleases(const std::string& program_id,
                                           const std::string& receipt_id,
                                           const std::vector<ReceiptCertificate>& releases) {
  if (absl::Status status = ReleaseCertificateHolds(certificates_, program_id, releases);
      !status.ok()) {
    return status;
  }
  return repository_.ForgetReleases(program_id, receipt_id, releases);
}

absl::Status ReceiptEngine::Resume(const StalledWork& work, Ledger& ledger) {
  if (work.kind == StalledWork::Kind::kCertificateRelease) {
    absl::StatusOr<std::vector<ReceiptCertificate>> releases =
        repository_.PendingReleases(work.program_id, work.id);
    if (!releases.ok()) return releases.status();
    return FinishReleases(work.program_id, work.id, *releases);
  }
  if (work.kind == StalledWork::Kind::kConfirm) {
    absl::StatusOr<Receipt> receipt = repository_.Get(work.program_id, work.id);
    if (!receipt.ok()) return receipt.status();
    if (receipt->state != ReceiptState::kConfirming) return absl::OkStatus();
    return FinishConfirming(*receipt, ledger).status();
  }
  absl::StatusOr<Refund> refund = repository_.GetRefund(work.program_id, work.id);
  if (!refund.ok()) return refund.status();
  if (refund->state == RefundState::kDone) return absl::OkStatus();
  return FinishRefunding(work.program_id, *refund, ledger).status();
}

}  // namespace loyalty::pos
