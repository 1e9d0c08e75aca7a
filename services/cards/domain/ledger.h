#pragma once

// The points ledger's rules, as pure functions over plain values: request
// validation, idempotency fingerprints, which lots a transfer takes from and
// how a balance is summed. Storage applies their results inside one database
// transaction; unit tests check them without a database.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/cards/domain/card.h"

namespace loyalty::cards {

// Mirrors loyalty.cards.v1.TransferKind, value for value.
enum class TransferKind {
  kUnspecified = 0,
  kAccrual = 1,
  kRedemption = 2,
  kAccrualReversal = 3,
  kRedemptionReversal = 4,
  // Written by the expiry sweep only: what expired lots had left.
  kExpiration = 5,
  // Manual corrections by an operator, with a mandatory reason.
  kCorrectionCredit = 6,
  kCorrectionDebit = 7,
  // One lot moved from a card merged into another: member -> member.
  // Written by MergeCards only.
  kMerge = 8,
  // One lot (or part of one) moved into a master account by a joining card,
  // or out of it to a leaving card: member -> member. Written by
  // MasterAccountStore only.
  kPoolJoin = 9,
  kPoolLeave = 10,
};

// Stable names used in storage and fingerprints ("ACCRUAL", ...).
absl::string_view TransferKindName(TransferKind kind);
std::optional<TransferKind> ParseTransferKind(absl::string_view name);

// Accounts of a program. Every member account belongs to a card; each
// system account exists once per program and is created on first use.
enum class AccountKind {
  kMember,
  kIssued,           // source of accruals
  kRedeemed,         // sink of redemptions
  kExpired,          // sink of expired lots (the expiry sweep)
  kAdjustment,       // manual corrections
  kPartnerClearing,  // coalition settlement (later)
};

absl::string_view AccountKindName(AccountKind kind);

// Which system account a kind moves against, and in which direction.
struct TransferRoute {
  AccountKind system_account;
  bool member_is_source;  // true: member -> system; false: system -> member
  bool creates_lot;       // the member side receives a new lot
};
TransferRoute RouteOf(TransferKind kind);

// One requested transfer. Optional times stay unset when the caller did not
// give them: defaults are applied later so that they don't leak into the
// fingerprint (a retry an hour later must still match).
struct TransferSpec {
  std::string transfer_id;
  TransferKind kind = TransferKind::kUnspecified;
  std::string card_number;
  int64_t amount = 0;
  std::string hold_id;
  std::optional<absl::Time> activate_time;
  std::optional<absl::Time> expire_time;
  std::string reference;
  // Free text; mandatory for corrections. Part of the fingerprint.
  std::string reason;
  // Who asked (API key or operator id from the call); not part of the
  // fingerprint: a retry by a colleague is the same request.
  std::string actor;
  // Coalition partner the transfer happens at (CRD-9), e.g. the owner of
  // the store of the receipt; "" for the program itself. Accruals are
  // charged to the partner's own `issued` account and its lots remember
  // it; redemptions credit the partner's `redeemed` account. Only for
  // ACCRUAL, REDEMPTION and their reversals.
  std::string partner_id;
  // ACCRUAL_REVERSAL only: the balance may go down to -negative_floor, what
  // the member's points do not cover being taken as debt; 0 caps the
  // reversal at what the member has. Part of the fingerprint when set.
  int64_t negative_floor = 0;
};

struct TransferResult {
  std::string transfer_id;
  int64_t amount = 0;  // actually moved
  absl::Time create_time;
  bool replayed = false;  // an earlier application was returned
  // Of `amount`: taken below zero as debt (a reversal with a floor), or
  // spent repaying debt instead of becoming points (a credit).
  int64_t into_debt = 0;
  int64_t repaid_debt = 0;
};

struct CommitResult {
  std::vector<TransferResult> results;
  Balance balance;  // of the first transfer's card, after all of them
};

// Limits that keep every sum far from int64 overflow and ids indexable.
inline constexpr int64_t kMaxAmount = 1'000'000'000'000;  // 10^12 points
inline constexpr size_t kMaxIdLength = 128;
inline constexpr size_t kMaxReferenceLength = 256;
inline constexpr size_t kMaxTransfersPerCommit = 100;

// Checks one transfer; errors name the field under `field_prefix`, e.g.
// "transfers[2]." gives "transfers[2].amount".
absl::Status ValidateTransfer(const TransferSpec& spec, absl::string_view field_prefix);

// Checks a whole CommitTransfers request (non-empty, bounded, each valid).
absl::Status ValidateTransfers(std::span<const TransferSpec> transfers);

// Stable digest of everything a transfer asks for (not of its id): equal
// digests mean "the same request again".
std::string TransferFingerprint(const TransferSpec& spec);

// --- Lots -------------------------------------------------------------------

// A parcel of points in a member account, as created by an accrual or a
// redemption reversal; consumed by redemptions and accrual reversals.
struct Lot {
  int64_t lot_id = 0;
  int64_t remaining = 0;
  absl::Time activate_time;
  std::optional<absl::Time> expire_time;  // nullopt: never expires
  TransferKind origin = TransferKind::kAccrual;
  std::string reference;   // of the transfer that created it
  std::string partner_id;  // the partner that issued the points ("" none)
};

enum class LotState { kPending, kActive, kExpired };

// The order points are spent in: soonest expiry first, never-expiring last;
// then earlier activation, then the older lot (a total, repeatable order).
bool SpendOrder(const Lot& a, const Lot& b);

// Expiry wins over activation: a lot that expires before it activates is
// never spendable.
LotState LotStateAt(const Lot& lot, absl::Time now);

// How much of one lot a transfer takes.
struct LotTake {
  int64_t lot_id = 0;
  int64_t amount = 0;
  friend bool operator==(const LotTake&, const LotTake&) = default;
};

// Sum of the takes.
int64_t TotalTaken(std::span<const LotTake> takes);

// Lots a redemption of `amount` takes: active ones only, soonest expiry
// first, never-expiring last (ties: earlier activation, then older lot).
// `held_by_others` are points reserved by open holds other than the one
// being posted; they must stay covered. FAILED_PRECONDITION when the
// available points do not cover `amount`.
absl::StatusOr<std::vector<LotTake>> PlanRedemption(std::span<const Lot> lots, absl::Time now,
                                                    int64_t amount, int64_t held_by_others);

// Lots an accrual reversal of up to `amount` takes. First the lots accrued
// with the same non-empty `reference` (the points being taken back), then
// the rest in redemption order, pending lots after active ones and expired
// (not yet swept) lots before both. Takes at most what the member has,
// leaving the active points reserved by open holds (`held`) untouched, so
// the total may be less than `amount`, possibly 0.
std::vector<LotTake> PlanAccrualReversal(std::span<const Lot> lots, absl::Time now, int64_t amount,
                                         int64_t held, absl::string_view reference);

// Lots a manual debit correction of `amount` takes: active points not
// reserved by open holds (`held`) in redemption order, then pending ones.
// FAILED_PRECONDITION when the member has fewer.
absl::StatusOr<std::vector<LotTake>> PlanCorrectionDebit(std::span<const Lot> lots, absl::Time now,
                                                         int64_t amount, int64_t held);

// What the expiry sweep takes: everything expired lots have left.
std::vector<LotTake> PlanExpiration(std::span<const Lot> lots, absl::Time now);

// --- Debt -------------------------------------------------------------------
//
// A member account goes below zero only through an ACCRUAL_REVERSAL that
// names a negative_floor: what its points do not cover becomes debt. The
// stored balance is then the points left in its lots less the debt, so the
// debt is never stored on its own: it is what the lots hold beyond the
// balance. Lots stay >= 0; the next credits that create lots (accruals,
// redemption reversals, credit corrections) repay the debt first and only
// the rest becomes a lot; the debt reserves active points like a hold, so
// nothing is spendable (nor holdable) until it is repaid.

// The debt of an account whose lots are `lots` and stored balance `balance`.
int64_t DebtOf(std::span<const Lot> lots, int64_t balance);

// How much of `shortfall` (what a reversal could not take from lots) is
// taken as debt so that `balance_after_takes` goes no lower than -floor.
// The caller passes the stored balance once the lots were taken and the
// open holds posted (they may be posted whatever the debt). 0 when floor
// is 0.
int64_t PlanDebt(int64_t shortfall, int64_t balance_after_takes, int64_t floor);

// How far ahead "expiring soon" looks unless the caller says otherwise.
inline constexpr absl::Duration kDefaultExpiringWindow = absl::Hours(24 * 30);
inline constexpr absl::Duration kMaxExpiringWindow = absl::Hours(24 * 366);

// The look-ahead of "expiring soon" from a request's day count: 0 is the
// default window, 1..366 days are taken as given; anything else is
// InvalidField(`field`).
absl::StatusOr<absl::Duration> ExpiringWindowFromDays(int64_t days, absl::string_view field);

// Balance of an account with `lots`, `held` points of open holds and
// `debt` (DebtOf); `expiring_window` sets what counts as expiring soon.
Balance SummarizeBalance(std::span<const Lot> lots, int64_t held, absl::Time now,
                         absl::Duration expiring_window = kDefaultExpiringWindow, int64_t debt = 0);

// --- Holds ------------------------------------------------------------------

enum class HoldState { kHeld, kPosted, kVoided, kExpired };

absl::string_view HoldStateName(HoldState state);
std::optional<HoldState> ParseHoldState(absl::string_view name);

// Expiry is lazy: a hold stored as HELD whose time is up is reported, and
// treated everywhere, as EXPIRED without anything writing that down.
HoldState EffectiveHoldState(HoldState stored, absl::Time expire_time, absl::Time now);

struct Hold {
  std::string hold_id;
  std::string card_number;
  int64_t amount = 0;
  HoldState state = HoldState::kHeld;
  absl::Time expire_time;
};

struct HoldRequest {
  std::string hold_id;
  std::string card_number;
  int64_t amount = 0;
  absl::Duration ttl = absl::ZeroDuration();  // zero: kDefaultHoldTtl
};

inline constexpr absl::Duration kDefaultHoldTtl = absl::Minutes(15);
inline constexpr absl::Duration kMaxHoldTtl = absl::Hours(24 * 7);

// Checks the request, naming the bad field.
absl::Status ValidateHoldRequest(const HoldRequest& request);

// The ttl with the default applied.
absl::Duration EffectiveHoldTtl(const HoldRequest& request);

// Digest of card, amount and effective ttl: a retry must match it.
std::string HoldFingerprint(const HoldRequest& request);

}  // namespace loyalty::cards
