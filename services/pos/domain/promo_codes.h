#pragma once

// Promo codes entered on a receipt (CMP-3, POS-2..5): the port to the
// promo code service of `campaigns` and the pure steps the receipt engine
// takes with it. A code is reserved before the receipt is priced (the
// reservation checks validity, uses left and the client's limit), only the
// codes a campaign used keep their reservation, confirm consumes those,
// cancel and a whole refund release them.
//
// Reservation ids are `<receipt_id>:<calculation>:<random>:<CODE>`, made
// once and then kept with the receipt: a recalculation that still carries
// the code reuses the stored id (so a retried or repeated calculation holds
// one use, not two), and consume and release are called with stored ids
// only. The random part keeps two concurrent attempts at one calculation
// apart, as with hold ids: the loser releases only what it reserved itself.

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/promotions/engine.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

inline constexpr size_t kMaxPromoCodesPerReceipt = 10;
inline constexpr size_t kMaxPromoCodeChars = 64;

// What pos needs from `campaigns`' PromoCodeService. Every call is
// idempotent by reservation id.
class PromoCodes {
 public:
  virtual ~PromoCodes() = default;

  struct ReserveRequest {
    std::string code;  // normalised
    std::string client_id;
    std::string reservation_id;
    std::string receipt_reference;
  };
  // A reservation as `campaigns` holds it; a retried reserve answers the
  // first one whatever its state.
  struct Reservation {
    enum class State { kReserved, kConsumed, kReleased };
    State state = State::kReserved;
    std::string pool_id;
    std::string campaign_id;
    absl::Time expire_time;
  };
  // The code cannot be used on this receipt: why, for the cashier.
  struct Refusal {
    PromoCodeOutcome outcome = PromoCodeOutcome::kRefused;
    std::string reason;
  };
  struct ReserveResult {
    std::optional<Reservation> reservation;  // unset: refused
    Refusal refusal;
  };

  // A refusal (unknown code, expired, used up, over the client's limit) is
  // a result; an error means `campaigns` could not answer.
  virtual absl::StatusOr<ReserveResult> Reserve(const std::string& program_id,
                                                const ReserveRequest& request) = 0;
  // FAILED_PRECONDITION when the reservation expired or was released: its
  // use may have gone to another receipt.
  virtual absl::Status Consume(const std::string& program_id,
                               const std::string& reservation_id) = 0;
  virtual absl::Status Release(const std::string& program_id,
                               const std::string& reservation_id) = 0;
};

// Trims and upper-cases the entered codes; a malformed (empty, too long,
// characters other than A-Z, 0-9, '-', '_') or repeated code is
// INVALID_ARGUMENT naming `promo_codes[i]`.
absl::StatusOr<std::vector<std::string>> NormalisePromoCodes(
    const std::vector<std::string>& entered);

// The codes of one calculation after reserving them, before pricing.
struct PromoCodeCheck {
  std::vector<ReceiptPromoCode> codes;  // per entered code
  // What the rule engine is given: each held code twice, once as a shared
  // code (no pool) and once as a code of its pool, because the reservation
  // does not say which kind of pool it came from and a campaign condition
  // names either the shared code or the pool. Codes are unique within a
  // program, so neither form can match another code's condition.
  std::vector<promotions::EnteredPromoCode> entered;
  std::vector<size_t> entered_code;  // per `entered`, its index in `codes`
  // Made by this attempt: released if the calculation fails.
  std::vector<std::string> new_reservations;
  std::vector<std::string> messages;  // for the cashier
};

struct ReserveInput {
  std::string program_id;
  std::string receipt_id;
  int32_t calculation = 1;
  std::string client_id;
  std::vector<std::string> codes;  // normalised
  // The codes of the calculation being replaced; their reservations are
  // reused for codes entered again.
  std::vector<ReceiptPromoCode> previous;
  absl::Time now;
};

// Reserves each code (reusing the previous calculation's reservation of it
// while that still holds a use). `campaigns` unavailable is not an error:
// the codes not yet checked are UNCHECKED and the cashier is told.
PromoCodeCheck ReservePromoCodes(PromoCodes& port, const ReserveInput& input,
                                 absl::FunctionRef<std::string()> random_suffix);

// Sets each held code's outcome from what the campaigns used (per entry of
// `check.entered`, the campaign id or "") and returns the reservations to
// release once the calculation is saved: the held codes no campaign used
// and the previous calculation's reservations not carried over.
std::vector<std::string> SettlePromoCodes(PromoCodeCheck& check,
                                          const std::vector<std::string>& used_by,
                                          const std::vector<ReceiptPromoCode>& previous);

// The reservations a receipt holds (its applied codes).
std::vector<std::string> HeldReservations(const Receipt& receipt);

// Consumes the receipt's held reservations (confirm). FAILED_PRECONDITION
// naming `promo_codes` when one can no longer be consumed (it expired):
// nothing of the receipt is posted and it must be calculated again. Other
// errors leave the outcome unknown; repeating the call is safe.
absl::Status ConsumePromoCodes(PromoCodes* port, const Receipt& receipt);

// Gives the receipt's held uses back (cancel, whole refund); repeating the
// call is safe.
absl::Status ReleasePromoCodes(PromoCodes* port, const Receipt& receipt);

// Best effort, for reservations nothing refers to any more: one left behind
// lapses by its TTL.
void ReleaseQuietly(PromoCodes* port, const std::string& program_id,
                    const std::vector<std::string>& reservation_ids);

// Every line returned in full, by one refund or several.
bool WholeReceiptRefunded(const Receipt& receipt);

// Releases the reservations a failed calculation made, unless told to keep
// them: on every early return of Calculate after reserving.
class NewReservations final {
 public:
  NewReservations(PromoCodes* port, std::string program_id)
      : port_(port), program_id_(std::move(program_id)) {}
  NewReservations(const NewReservations&) = delete;
  NewReservations& operator=(const NewReservations&) = delete;
  ~NewReservations();

  void Track(std::vector<std::string> ids) { ids_ = std::move(ids); }
  void Keep() { ids_.clear(); }

 private:
  PromoCodes* port_;
  std::string program_id_;
  std::vector<std::string> ids_;
};

}  // namespace loyalty::pos
