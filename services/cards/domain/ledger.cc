#include "services/cards/domain/ledger.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "services/cards/domain/fingerprint.h"

namespace loyalty::cards {
namespace {

std::string TimeField(const std::optional<absl::Time>& time) {
  return time ? absl::StrCat(absl::ToUnixMicros(*time)) : "-";
}

constexpr char kOnlyForLotKinds[] = "only for ACCRUAL, REDEMPTION_REVERSAL and CORRECTION_CREDIT";

// Takes `amount` from `ordered` lots in turn; FAILED_PRECONDITION when they
// hold less than `amount`.
absl::StatusOr<std::vector<LotTake>> TakeInOrder(std::span<const Lot* const> ordered,
                                                 int64_t amount, int64_t available) {
  if (amount > available) {
    return absl::FailedPreconditionError(
        absl::StrCat("insufficient points: ", available, " available, ", amount, " requested"));
  }
  std::vector<LotTake> takes;
  int64_t need = amount;
  for (const Lot* lot : ordered) {
    if (need == 0) break;
    int64_t take = std::min(need, lot->remaining);
    takes.push_back({lot->lot_id, take});
    need -= take;
  }
  return takes;
}

}  // namespace

bool SpendOrder(const Lot& a, const Lot& b) {
  auto key = [](const Lot& lot) {
    return std::make_tuple(!lot.expire_time.has_value(),
                           lot.expire_time.value_or(absl::InfiniteFuture()), lot.activate_time,
                           lot.lot_id);
  };
  return key(a) < key(b);
}

absl::string_view TransferKindName(TransferKind kind) {
  switch (kind) {
    case TransferKind::kUnspecified:
      return "UNSPECIFIED";
    case TransferKind::kAccrual:
      return "ACCRUAL";
    case TransferKind::kRedemption:
      return "REDEMPTION";
    case TransferKind::kAccrualReversal:
      return "ACCRUAL_REVERSAL";
    case TransferKind::kRedemptionReversal:
      return "REDEMPTION_REVERSAL";
    case TransferKind::kExpiration:
      return "EXPIRATION";
    case TransferKind::kCorrectionCredit:
      return "CORRECTION_CREDIT";
    case TransferKind::kCorrectionDebit:
      return "CORRECTION_DEBIT";
    case TransferKind::kMerge:
      return "MERGE";
    case TransferKind::kPoolJoin:
      return "POOL_JOIN";
    case TransferKind::kPoolLeave:
      return "POOL_LEAVE";
  }
  return "UNSPECIFIED";
}

std::optional<TransferKind> ParseTransferKind(absl::string_view name) {
  for (TransferKind kind :
       {TransferKind::kAccrual, TransferKind::kRedemption, TransferKind::kAccrualReversal,
        TransferKind::kRedemptionReversal, TransferKind::kExpiration,
        TransferKind::kCorrectionCredit, TransferKind::kCorrectionDebit, TransferKind::kMerge,
        TransferKind::kPoolJoin, TransferKind::kPoolLeave}) {
    if (TransferKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

absl::string_view AccountKindName(AccountKind kind) {
  switch (kind) {
    case AccountKind::kMember:
      return "member";
    case AccountKind::kIssued:
      return "issued";
    case AccountKind::kRedeemed:
      return "redeemed";
    case AccountKind::kExpired:
      return "expired";
    case AccountKind::kAdjustment:
      return "adjustment";
    case AccountKind::kPartnerClearing:
      return "partner_clearing";
  }
  return "member";
}

TransferRoute RouteOf(TransferKind kind) {
  switch (kind) {
    case TransferKind::kAccrual:
      return {AccountKind::kIssued, false, true};
    case TransferKind::kRedemption:
      return {AccountKind::kRedeemed, true, false};
    case TransferKind::kAccrualReversal:
      return {AccountKind::kIssued, true, false};
    case TransferKind::kRedemptionReversal:
      return {AccountKind::kRedeemed, false, true};
    case TransferKind::kExpiration:
      return {AccountKind::kExpired, true, false};
    case TransferKind::kCorrectionCredit:
      return {AccountKind::kAdjustment, false, true};
    case TransferKind::kCorrectionDebit:
      return {AccountKind::kAdjustment, true, false};
    case TransferKind::kMerge:
    case TransferKind::kPoolJoin:
    case TransferKind::kPoolLeave:
      // Member to member: the "system" side is the other card's account.
      return {AccountKind::kMember, true, true};
    case TransferKind::kUnspecified:
      break;
  }
  // Validation refuses kUnspecified before anything routes it.
  return {AccountKind::kIssued, false, false};
}

absl::Status ValidateTransfer(const TransferSpec& spec, absl::string_view field_prefix) {
  auto field = [&](absl::string_view name) { return absl::StrCat(field_prefix, name); };
  if (spec.transfer_id.empty()) return InvalidField(field("transfer_id"), "required");
  if (spec.transfer_id.size() > kMaxIdLength) {
    return InvalidField(field("transfer_id"),
                        absl::StrCat("at most ", kMaxIdLength, " characters"));
  }
  if (spec.kind == TransferKind::kUnspecified) {
    return InvalidField(field("kind"), "required");
  }
  if (spec.kind == TransferKind::kExpiration) {
    return InvalidField(field("kind"), "EXPIRATION is written by the expiry sweep only");
  }
  if (spec.kind == TransferKind::kMerge) {
    return InvalidField(field("kind"), "MERGE is written by MergeCards only");
  }
  if (spec.kind == TransferKind::kPoolJoin || spec.kind == TransferKind::kPoolLeave) {
    return InvalidField(field("kind"), "written by master account changes only");
  }
  const bool correction =
      spec.kind == TransferKind::kCorrectionCredit || spec.kind == TransferKind::kCorrectionDebit;
  if (correction && spec.reason.empty()) {
    return InvalidField(field("reason"), "required for a correction");
  }
  if (spec.reason.size() > kMaxReasonLength) {
    return InvalidField(field("reason"), absl::StrCat("at most ", kMaxReasonLength, " characters"));
  }
  if (!spec.partner_id.empty()) {
    const bool at_a_partner = spec.kind == TransferKind::kAccrual ||
                              spec.kind == TransferKind::kRedemption ||
                              spec.kind == TransferKind::kAccrualReversal ||
                              spec.kind == TransferKind::kRedemptionReversal;
    if (!at_a_partner) {
      return InvalidField(field("partner_id"),
                          "only accruals, redemptions and their reversals happen at a partner");
    }
    if (spec.partner_id.size() > kMaxIdLength) {
      return InvalidField(field("partner_id"),
                          absl::StrCat("at most ", kMaxIdLength, " characters"));
    }
    RETURN_IF_ERROR(ValidateNoControlCharacters(field("partner_id"), spec.partner_id));
  }
  if (spec.negative_floor != 0) {
    if (spec.kind != TransferKind::kAccrualReversal) {
      return InvalidField(field("negative_floor"), "only an ACCRUAL_REVERSAL may go below zero");
    }
    if (spec.negative_floor < 0 || spec.negative_floor > kMaxAmount) {
      return InvalidField(field("negative_floor"), absl::StrCat("must be 0..", kMaxAmount));
    }
  }
  if (spec.card_number.empty()) return InvalidField(field("card_number"), "required");
  if (spec.amount <= 0) return InvalidField(field("amount"), "must be positive");
  if (spec.amount > kMaxAmount) {
    return InvalidField(field("amount"), absl::StrCat("at most ", kMaxAmount));
  }
  if (!spec.hold_id.empty()) {
    if (spec.kind != TransferKind::kRedemption) {
      return InvalidField(field("hold_id"), "only a REDEMPTION can post a hold");
    }
    if (spec.hold_id.size() > kMaxIdLength) {
      return InvalidField(field("hold_id"), absl::StrCat("at most ", kMaxIdLength, " characters"));
    }
  }
  bool creates_lot = RouteOf(spec.kind).creates_lot;
  if (spec.activate_time && !creates_lot) {
    return InvalidField(field("activate_time"), kOnlyForLotKinds);
  }
  if (spec.expire_time && !creates_lot) {
    return InvalidField(field("expire_time"), kOnlyForLotKinds);
  }
  if (spec.activate_time && spec.expire_time && *spec.expire_time <= *spec.activate_time) {
    return InvalidField(field("expire_time"), "must be after activate_time");
  }
  if (spec.reference.size() > kMaxReferenceLength) {
    return InvalidField(field("reference"),
                        absl::StrCat("at most ", kMaxReferenceLength, " characters"));
  }
  for (auto [name, value] :
       {std::pair<absl::string_view, absl::string_view>{"transfer_id", spec.transfer_id},
        {"card_number", spec.card_number},
        {"hold_id", spec.hold_id},
        {"reference", spec.reference},
        {"reason", spec.reason}}) {
    if (absl::Status status = ValidateNoControlCharacters(field(name), value); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTransfers(std::span<const TransferSpec> transfers) {
  if (transfers.empty()) return InvalidField("transfers", "at least one transfer");
  if (transfers.size() > kMaxTransfersPerCommit) {
    return InvalidField("transfers", absl::StrCat("at most ", kMaxTransfersPerCommit, " per call"));
  }
  for (size_t i = 0; i < transfers.size(); ++i) {
    absl::Status status = ValidateTransfer(transfers[i], absl::StrCat("transfers[", i, "]."));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::string TransferFingerprint(const TransferSpec& spec) {
  Fingerprint fingerprint("transfer.v1");
  fingerprint.Add(TransferKindName(spec.kind))
      .Add(spec.card_number)
      .Add(spec.amount)
      .Add(spec.hold_id)
      .Add(TimeField(spec.activate_time))
      .Add(TimeField(spec.expire_time))
      .Add(spec.reference);
  // Only when present, so that fingerprints stored before reasons existed
  // still match their retries.
  if (!spec.reason.empty()) fingerprint.Add(spec.reason);
  if (!spec.partner_id.empty()) fingerprint.Add("partner").Add(spec.partner_id);
  if (spec.negative_floor != 0) fingerprint.Add("negative_floor").Add(spec.negative_floor);
  return fingerprint.Digest();
}

LotState LotStateAt(const Lot& lot, absl::Time now) {
  if (lot.expire_time && *lot.expire_time <= now) return LotState::kExpired;
  if (lot.activate_time > now) return LotState::kPending;
  return LotState::kActive;
}

int64_t TotalTaken(std::span<const LotTake> takes) {
  int64_t total = 0;
  for (const LotTake& take : takes) total += take.amount;
  return total;
}

absl::StatusOr<std::vector<LotTake>> PlanRedemption(std::span<const Lot> lots, absl::Time now,
                                                    int64_t amount, int64_t held_by_others) {
  std::vector<const Lot*> active;
  int64_t active_total = 0;
  for (const Lot& lot : lots) {
    if (lot.remaining > 0 && LotStateAt(lot, now) == LotState::kActive) {
      active.push_back(&lot);
      active_total += lot.remaining;
    }
  }
  std::sort(active.begin(), active.end(),
            [](const Lot* a, const Lot* b) { return SpendOrder(*a, *b); });
  return TakeInOrder(active, amount, std::max<int64_t>(0, active_total - held_by_others));
}

absl::StatusOr<std::vector<LotTake>> PlanCorrectionDebit(std::span<const Lot> lots, absl::Time now,
                                                         int64_t amount, int64_t held) {
  std::vector<const Lot*> active;
  std::vector<const Lot*> pending;
  int64_t active_total = 0;
  int64_t pending_total = 0;
  for (const Lot& lot : lots) {
    if (lot.remaining <= 0) continue;
    switch (LotStateAt(lot, now)) {
      case LotState::kActive:
        active.push_back(&lot);
        active_total += lot.remaining;
        break;
      case LotState::kPending:
        pending.push_back(&lot);
        pending_total += lot.remaining;
        break;
      case LotState::kExpired:
        break;  // worth nothing to the member any more
    }
  }
  auto by_spend_order = [](const Lot* a, const Lot* b) { return SpendOrder(*a, *b); };
  std::sort(active.begin(), active.end(), by_spend_order);
  std::sort(pending.begin(), pending.end(), by_spend_order);
  // Points reserved by open holds stay, so that posting those holds still
  // succeeds; pending points are not reserved by anything.
  int64_t active_budget = std::max<int64_t>(0, active_total - held);
  if (amount > active_budget + pending_total) {
    return absl::FailedPreconditionError(
        absl::StrCat("insufficient points: ", active_budget + pending_total,
                     " can be written off, ", amount, " requested"));
  }
  std::vector<LotTake> takes;
  int64_t need = amount;
  for (const Lot* lot : active) {
    int64_t take = std::min({need, lot->remaining, active_budget});
    if (take == 0) break;
    takes.push_back({lot->lot_id, take});
    need -= take;
    active_budget -= take;
  }
  for (const Lot* lot : pending) {
    if (need == 0) break;
    int64_t take = std::min(need, lot->remaining);
    takes.push_back({lot->lot_id, take});
    need -= take;
  }
  return takes;
}

std::vector<LotTake> PlanExpiration(std::span<const Lot> lots, absl::Time now) {
  std::vector<LotTake> takes;
  for (const Lot& lot : lots) {
    if (lot.remaining > 0 && LotStateAt(lot, now) == LotState::kExpired) {
      takes.push_back({lot.lot_id, lot.remaining});
    }
  }
  return takes;
}

std::vector<LotTake> PlanAccrualReversal(std::span<const Lot> lots, absl::Time now, int64_t amount,
                                         int64_t held, absl::string_view reference) {
  struct Candidate {
    const Lot* lot;
    bool referenced;
    LotState state;
  };
  std::vector<Candidate> candidates;
  int64_t active_total = 0;
  for (const Lot& lot : lots) {
    if (lot.remaining <= 0) continue;
    LotState state = LotStateAt(lot, now);
    if (state == LotState::kActive) active_total += lot.remaining;
    bool referenced =
        !reference.empty() && lot.origin == TransferKind::kAccrual && lot.reference == reference;
    candidates.push_back({&lot, referenced, state});
  }
  // Expired lots are worth nothing to the member any more, pending ones are
  // not spendable yet; active lots in between, in redemption order.
  auto rank = [](LotState state) {
    switch (state) {
      case LotState::kExpired:
        return 0;
      case LotState::kActive:
        return 1;
      case LotState::kPending:
        return 2;
    }
    return 3;
  };
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.referenced != b.referenced) return a.referenced;
    if (a.state != b.state) return rank(a.state) < rank(b.state);
    return SpendOrder(*a.lot, *b.lot);
  });
  // Open holds reserve active points; taking those would make the posting
  // of a hold fail later, so they are out of reach.
  int64_t active_budget = std::max<int64_t>(0, active_total - held);
  std::vector<LotTake> takes;
  int64_t need = amount;
  for (const Candidate& candidate : candidates) {
    if (need == 0) break;
    int64_t take = std::min(need, candidate.lot->remaining);
    if (candidate.state == LotState::kActive) {
      take = std::min(take, active_budget);
      active_budget -= take;
    }
    if (take == 0) continue;
    takes.push_back({candidate.lot->lot_id, take});
    need -= take;
  }
  return takes;
}

absl::StatusOr<absl::Duration> ExpiringWindowFromDays(int64_t days, absl::string_view field) {
  if (days == 0) return kDefaultExpiringWindow;
  const int64_t max_days = absl::ToInt64Hours(kMaxExpiringWindow) / 24;
  if (days < 1 || days > max_days)
    return InvalidField(field, absl::StrCat("must be 0..", max_days));
  return absl::Hours(24 * days);
}

int64_t DebtOf(std::span<const Lot> lots, int64_t balance) {
  int64_t in_lots = 0;
  for (const Lot& lot : lots) in_lots += lot.remaining;
  return std::max<int64_t>(0, in_lots - balance);
}

int64_t PlanDebt(int64_t shortfall, int64_t balance_after_takes, int64_t floor) {
  if (floor <= 0 || shortfall <= 0) return 0;
  // Both terms are within 10^12 of zero, far from overflow.
  return std::clamp<int64_t>(balance_after_takes + floor, 0, shortfall);
}

Balance SummarizeBalance(std::span<const Lot> lots, int64_t held, absl::Time now,
                         absl::Duration expiring_window, int64_t debt) {
  Balance balance;
  const absl::Time soon = now + expiring_window;
  for (const Lot& lot : lots) {
    const LotState state = LotStateAt(lot, now);
    switch (state) {
      case LotState::kActive:
        balance.active += lot.remaining;
        break;
      case LotState::kPending:
        balance.pending += lot.remaining;
        break;
      case LotState::kExpired:
        break;
    }
    if (state == LotState::kExpired || !lot.expire_time || lot.remaining <= 0) continue;
    if (*lot.expire_time <= soon) balance.expiring_soon += lot.remaining;
    if (!balance.next_expire_time || *lot.expire_time < *balance.next_expire_time) {
      balance.next_expire_time = lot.expire_time;
    }
  }
  balance.held = held;
  balance.debt = debt;
  // The debt is owed from the first points there are: none is spendable
  // until the active points cover it and the holds.
  balance.available = std::max<int64_t>(0, balance.active - held - debt);
  return balance;
}

absl::string_view HoldStateName(HoldState state) {
  switch (state) {
    case HoldState::kHeld:
      return "HELD";
    case HoldState::kPosted:
      return "POSTED";
    case HoldState::kVoided:
      return "VOIDED";
    case HoldState::kExpired:
      return "EXPIRED";
  }
  return "HELD";
}

std::optional<HoldState> ParseHoldState(absl::string_view name) {
  for (HoldState state :
       {HoldState::kHeld, HoldState::kPosted, HoldState::kVoided, HoldState::kExpired}) {
    if (HoldStateName(state) == name) return state;
  }
  return std::nullopt;
}

HoldState EffectiveHoldState(HoldState stored, absl::Time expire_time, absl::Time now) {
  if (stored == HoldState::kHeld && expire_time <= now) return HoldState::kExpired;
  return stored;
}

absl::Status ValidateHoldRequest(const HoldRequest& request) {
  if (request.hold_id.empty()) return InvalidField("hold_id", "required");
  if (request.hold_id.size() > kMaxIdLength) {
    return InvalidField("hold_id", absl::StrCat("at most ", kMaxIdLength, " characters"));
  }
  if (request.card_number.empty()) return InvalidField("card_number", "required");
  if (request.amount <= 0) return InvalidField("amount", "must be positive");
  if (request.amount > kMaxAmount) {
    return InvalidField("amount", absl::StrCat("at most ", kMaxAmount));
  }
  if (request.ttl < absl::ZeroDuration() || request.ttl > kMaxHoldTtl) {
    return InvalidField("ttl_seconds",
                        absl::StrCat("must be 0..", absl::ToInt64Seconds(kMaxHoldTtl)));
  }
  if (absl::Status status = ValidateNoControlCharacters("hold_id", request.hold_id); !status.ok()) {
    return status;
  }
  return ValidateNoControlCharacters("card_number", request.card_number);
}

absl::Duration EffectiveHoldTtl(const HoldRequest& request) {
  return request.ttl == absl::ZeroDuration() ? kDefaultHoldTtl : request.ttl;
}

std::string HoldFingerprint(const HoldRequest& request) {
  return Fingerprint("hold.v1")
      .Add(request.card_number)
      .Add(request.amount)
      .Add(absl::ToInt64Microseconds(EffectiveHoldTtl(request)))
      .Digest();
}

}  // namespace loyalty::cards
