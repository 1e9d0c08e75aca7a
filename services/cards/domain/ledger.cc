#include "services/cards/domain/ledger.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/errors.h"

namespace loyalty::cards {
namespace {

// FNV-1a, 64 bits: stable across builds and platforms, which absl::Hash is
// not; fingerprints are stored and compared across releases.
uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
void AddField(std::string& out, absl::string_view value) {
  absl::StrAppend(&out, value.size(), ":", value, "|");
}

std::string TimeField(const std::optional<absl::Time>& time) {
  return time ? absl::StrCat(absl::ToUnixMicros(*time)) : "-";
}

std::string Digest(absl::string_view canonical) {
  return absl::StrCat(absl::Hex(Fnv1a(canonical), absl::kZeroPad16));
}

// Soonest expiry first, never-expiring last; then earlier activation, then
// the older lot, so that the order is total and repeatable.
bool SpendOrder(const Lot& a, const Lot& b) {
  auto key = [](const Lot& lot) {
    return std::make_tuple(!lot.expire_time.has_value(),
                           lot.expire_time.value_or(absl::InfiniteFuture()), lot.activate_time,
                           lot.lot_id);
  };
  return key(a) < key(b);
}

}  // namespace

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
  }
  return "UNSPECIFIED";
}

std::optional<TransferKind> ParseTransferKind(absl::string_view name) {
  for (TransferKind kind : {TransferKind::kAccrual, TransferKind::kRedemption,
                            TransferKind::kAccrualReversal, TransferKind::kRedemptionReversal}) {
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
    return InvalidField(field("activate_time"), "only for ACCRUAL and REDEMPTION_REVERSAL");
  }
  if (spec.expire_time && !creates_lot) {
    return InvalidField(field("expire_time"), "only for ACCRUAL and REDEMPTION_REVERSAL");
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
        {"reference", spec.reference}}) {
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
  std::string canonical = "transfer.v1|";
  AddField(canonical, TransferKindName(spec.kind));
  AddField(canonical, spec.card_number);
  AddField(canonical, absl::StrCat(spec.amount));
  AddField(canonical, spec.hold_id);
  AddField(canonical, TimeField(spec.activate_time));
  AddField(canonical, TimeField(spec.expire_time));
  AddField(canonical, spec.reference);
  return Digest(canonical);
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
  int64_t available = std::max<int64_t>(0, active_total - held_by_others);
  if (amount > available) {
    return absl::FailedPreconditionError(
        absl::StrCat("insufficient points: ", available, " available, ", amount, " requested"));
  }
  std::sort(active.begin(), active.end(),
            [](const Lot* a, const Lot* b) { return SpendOrder(*a, *b); });
  std::vector<LotTake> takes;
  int64_t need = amount;
  for (const Lot* lot : active) {
    if (need == 0) break;
    int64_t take = std::min(need, lot->remaining);
    takes.push_back({lot->lot_id, take});
    need -= take;
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

Balance SummarizeBalance(std::span<const Lot> lots, int64_t held, absl::Time now) {
  Balance balance;
  for (const Lot& lot : lots) {
    switch (LotStateAt(lot, now)) {
      case LotState::kActive:
        balance.active += lot.remaining;
        break;
      case LotState::kPending:
        balance.pending += lot.remaining;
        break;
      case LotState::kExpired:
        break;
    }
  }
  balance.held = held;
  balance.available = std::max<int64_t>(0, balance.active - held);
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
  std::string canonical = "hold.v1|";
  AddField(canonical, request.card_number);
  AddField(canonical, absl::StrCat(request.amount));
  AddField(canonical, absl::StrCat(absl::ToInt64Microseconds(EffectiveHoldTtl(request))));
  return Digest(canonical);
}

}  // namespace loyalty::cards
