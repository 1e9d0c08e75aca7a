#pragma once

// Receipts and refunds as the POS engine sees them, and the two ports it
// works through: its own repository and the points ledger of `cards`.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/pos/domain/pricing.h"

namespace loyalty::pos {

enum class ReceiptState { kCalculated, kConfirming, kConfirmed, kCancelled };

enum class NoLoyaltyReason { kNone = 0, kNoCard = 1, kCardNotFound = 2, kCardInactive = 3 };

struct Balance {
  int64_t available = 0;
  int64_t pending = 0;
  int64_t held = 0;
};

// What became of a promo code entered on a receipt.
enum class PromoCodeOutcome {
  kApplied = 1,      // a campaign used it; its use is reserved
  kUnknown = 2,      // not a code of this program
  kExpired = 3,      // outside its validity
  kExhausted = 4,    // every use taken
  kClientLimit = 5,  // the client used the promotion up
  kNotUsed = 6,      // valid, but no campaign used it: no use taken
  kRefused = 7,      // another refusal (withdrawn, needs a client)
  kUnchecked = 8,    // campaigns could not be asked: priced without it
};

struct ReceiptPromoCode {
  std::string code;  // normalised: trimmed, upper case
  PromoCodeOutcome outcome = PromoCodeOutcome::kUnchecked;
  std::string campaign_id;     // kApplied: the campaign that used it
  std::string reason;          // otherwise: why, for the cashier
  std::string reservation_id;  // kApplied: the use held at `campaigns`
  std::string pool_id;         // kApplied: the code's pool
};

// What became of a gift certificate offered on a receipt (the proto's
// numbers).
enum class CertificateOutcome {
  kApplied = 1,       // held for the receipt, spent once confirmed
  kUnknown = 2,       // not a certificate of this program
  kBlocked = 3,       // blocked by an operator
  kExpired = 4,       // past its expiry
  kInsufficient = 5,  // less available than asked, or nothing
  kNotNeeded = 6,     // the receipt was already paid in full
  kUnchecked = 7,     // `cards` could not be asked
};

struct ReceiptCertificate {
  std::string number;
  int64_t requested = 0;  // as asked; 0: as much as it and the receipt allow
  CertificateOutcome outcome = CertificateOutcome::kUnchecked;
  int64_t amount = 0;    // kApplied: held, then spent at confirm
  int64_t refunded = 0;  // given back by refunds so far
  std::string reason;    // otherwise: why, for the cashier
  std::string hold_id;   // kApplied: the hold at `cards`
};

// What one rule of one campaign did, in pos terms.
struct AppliedRule {
  struct Line {
    int32_t line_number = 0;
    int64_t discount = 0;
    int64_t bonus_points = 0;
  };
  std::string campaign_id;
  int64_t campaign_version = 0;
  std::string rule_id;
  std::vector<Line> lines;
  int64_t discount = 0;
  int64_t bonus_points = 0;
  std::string cashier_message;
};

// An item a campaign rule gives with the receipt (CMP-4): the cashier hands
// it out; it is not a line of the receipt and changes no amount or points.
struct ReceiptGift {
  std::string campaign_id;
  int64_t campaign_version = 0;
  std::string rule_id;
  std::string sku;
  // From the catalogue; "" when the sku is not in it (in_catalogue false),
  // which is reported, not dropped: the rule still gives the gift, and the
  // cashier is told the catalogue does not know it.
  std::string product_name;
  bool in_catalogue = false;
  int64_t quantity_milli = 0;
  int64_t price = 0;  // per unit, minor units; 0 for a free gift
};

// A post-confirm action a campaign rule gives (CMP-2 / CMP-4), kept with
// the calculation and run by the actions worker (campaign_actions.h) once
// the receipt is confirmed, for the receipt's member.
enum class ActionKind { kIssuePromoCode = 1, kSetAttribute = 2, kAddTag = 3 };
enum class ActionState {
  kPending = 1,  // waits for the receipt's confirmation
  kSkipped = 2,  // the receipt has no member to act on: never runs
  kDue = 3,      // the receipt is confirmed: the worker runs it
  kDone = 4,
  kFailed = 5,  // refused for good, or retried to the limit
};

struct ReceiptAction {
  std::string campaign_id;
  int64_t campaign_version = 0;
  std::string rule_id;
  ActionKind kind = ActionKind::kAddTag;
  std::string target;  // the pool id, attribute key or tag
  std::string value;   // kSetAttribute: the value
  std::string client_id;  // the member; "" when skipped
  ActionState state = ActionState::kPending;
  int32_t attempts = 0;
  std::string promo_code;  // kDone kIssuePromoCode: the code issued
  std::string reason;      // kSkipped, kFailed, or the last error retried
};

struct Receipt {
  std::string receipt_id;
  std::string program_id;
  std::string store_id;
  std::string partner_id;  // of the store, read with the receipt (CRD-9)
  std::string receipt_number;
  std::string card_number;
  ReceiptState state = ReceiptState::kCalculated;
  int32_t calculation = 1;  // bumps when the till recalculates
  std::string hold_id;      // empty when no points are held
  std::vector<PricedLine> lines;
  int64_t total_amount = 0;
  int64_t max_points_payable = 0;
  int64_t points_spent = 0;
  int64_t points_earned = 0;
  int64_t point_value = 100;
  NoLoyaltyReason no_loyalty_reason = NoLoyaltyReason::kNone;
  std::optional<absl::Time> activate_at;  // of the points earned
  std::optional<absl::Time> expire_at;
  Balance balance;
  std::vector<std::string> messages;
  // What priced the current calculation, kept with it (and so with the
  // confirmed receipt).
  std::vector<AppliedRule> applied_campaigns;
  // The promo codes entered on the current calculation and their outcome;
  // the applied ones hold a reservation at `campaigns` (promo_codes.h).
  std::vector<ReceiptPromoCode> promo_codes;
  // Some campaign budget (CMP-5) holds a share of the current calculation:
  // confirm and cancel settle budgets only then, sparing the common receipt
  // a transaction.
  bool budget_reserved = false;
  // The gift certificates offered on the current calculation, in the order
  // given; the applied ones pay part of it (certificates.h).
  std::vector<ReceiptCertificate> certificates;
  // The gifts of the current calculation, in the order the rules gave them.
  std::vector<ReceiptGift> gifts;
  // The post-confirm actions of the current calculation, in the order the
  // rules gave them.
  std::vector<ReceiptAction> actions;
  absl::Time create_time;
  std::optional<absl::Time> confirm_time;
  // POS-6: set for a receipt an offline till took and uploaded later: when
  // the sale happened, which priced it.
  std::optional<absl::Time> taken_time;
  // POS-5: when it was cancelled (a confirmed receipt: when its cancel
  // refund completed).
  std::optional<absl::Time> cancel_time;
};

enum class RefundState { kPending, kDone };

// Money a refund gives back to one certificate that paid the receipt.
struct RefundedCertificate {
  int32_t position = 0;  // of the certificate on the receipt
  std::string number;
  int64_t amount = 0;
  std::string redemption_id;  // the receipt's posting to give back from
};

struct Refund {
  std::string refund_id;
  std::string receipt_id;
  std::string store_id;
  std::string partner_id;  // of the receipt's store (CRD-9)
  std::string card_number;
  RefundState state = RefundState::kPending;
  RefundPlan plan;
  // The part of plan.amount that goes back to certificates.
  std::vector<RefundedCertificate> certificates;
  // The program's shortfall policy when the refund was recorded, kept with
  // it so that every retry asks the ledger the same (POS-4); negative_floor
  // is 0 under CAP.
  RefundShortfallPolicy shortfall_policy = RefundShortfallPolicy::kCap;
  int64_t negative_floor = 0;
  // Of plan.points_to_reverse: taken back (points_into_negative of them as
  // debt below zero); the rest was forgiven.
  int64_t points_reversed = 0;
  int64_t points_into_negative = 0;
  Balance balance;
  absl::Time create_time;
  // POS-5: the receipt's cancel refund, of everything earlier refunds left;
  // its completion makes the receipt CANCELLED. At most one per receipt.
  bool cancels_receipt = false;

  int64_t points_reversed_from_balance() const { return points_reversed - points_into_negative; }
  int64_t points_forgiven() const { return plan.points_to_reverse - points_reversed; }
};

// What cancelling a receipt did (POS-5).
struct Cancellation {
  Receipt receipt;
  // A confirmed receipt is undone by its cancel refund, reported here;
  // unset for a receipt cancelled before confirmation.
  std::optional<Refund> refund;
};

struct CardInfo {
  std::string number;
  bool active = false;
  Balance balance;
  std::string client_id;  // "" for a card not given to anyone yet
  std::string level_id;   // "" for a card without a level
  // cards' terms: `balance.available` is active_points less holds less
  // debt, never below 0.
  int64_t active_points = 0;  // points of active lots, holds included
  int64_t debt = 0;           // points owed below zero (a refund's shortfall)

  // What will be available once `released` of the held points are no
  // longer held (a recalculation replacing its own hold), by cards' rule:
  // a debt covers released points before they become spendable.
  int64_t AvailableAfterRelease(int64_t released) const {
    return std::max<int64_t>(0, active_points - (balance.held - released) - debt);
  }
};

// What the engine needs from the ledger (`cards`). Every mutation carries
// an id that makes a retry harmless.
class Ledger {
 public:
  virtual ~Ledger() = default;
  // NOT_FOUND when the card is not in the caller's program.
  virtual absl::StatusOr<CardInfo> GetCard(const std::string& number) = 0;
  virtual absl::Status Hold(const std::string& hold_id, const std::string& card_number,
                            int64_t amount) = 0;
  virtual absl::Status VoidHold(const std::string& hold_id) = 0;

  struct Transfer {
    enum class Kind { kAccrual, kRedemption, kAccrualReversal, kRedemptionReversal };
    std::string transfer_id;
    Kind kind = Kind::kAccrual;
    std::string card_number;
    int64_t amount = 0;
    std::string hold_id;
    std::optional<absl::Time> activate_at;
    std::optional<absl::Time> expire_at;
    std::string reference;
    // The coalition partner owning the receipt's store; the ledger charges
    // accruals to it and credits redemptions to it.
    std::string partner_id;
    // kAccrualReversal: the balance may go down to -negative_floor (the
    // program's refund policy); 0 caps the reversal at what is left.
    int64_t negative_floor = 0;
  };
  struct CommitResult {
    std::vector<int64_t> moved;      // per transfer
    std::vector<int64_t> into_debt;  // per transfer: of moved, taken below zero
    Balance balance;
  };
  // All or nothing.
  virtual absl::StatusOr<CommitResult> Commit(const std::vector<Transfer>& transfers) = 0;
};

}  // namespace loyalty::pos
