#pragma once

// An in-memory PromoCodeService for the pos unit tests: codes with a pool,
// a use limit and validity; reservations idempotent by id, with a TTL
// against a clock the test moves.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/pos/domain/promo_codes.h"

namespace loyalty::pos {

class FakePromoCodes final : public PromoCodes {
 public:
  struct Code {
    std::string pool_id;
    int max_uses = 0;  // 0: unlimited
    bool expired = false;
  };
  struct Stored {
    std::string code;
    Reservation::State state = Reservation::State::kReserved;
    absl::Time expire_time;
  };

  absl::StatusOr<ReserveResult> Reserve(const std::string&,
                                        const ReserveRequest& request) override {
    ++reserve_calls;
    if (unavailable) return absl::UnavailableError("campaigns restarting");
    if (auto it = reservations.find(request.reservation_id); it != reservations.end()) {
      if (it->second.code != request.code) return absl::AlreadyExistsError("reservation_id");
      return ReserveResult{.reservation = View(it->second)};
    }
    auto code = codes.find(request.code);
    if (code == codes.end()) {
      return ReserveResult{.refusal = {PromoCodeOutcome::kUnknown, "not a code of this program"}};
    }
    if (code->second.expired) {
      return ReserveResult{.refusal = {PromoCodeOutcome::kExpired, "this code has expired"}};
    }
    if (code->second.max_uses > 0 && Uses(request.code) >= code->second.max_uses) {
      return ReserveResult{
          .refusal = {PromoCodeOutcome::kExhausted, "this code has already been used up"}};
    }
    Stored& stored = reservations[request.reservation_id];
    stored = Stored{.code = request.code, .expire_time = now + absl::Minutes(30)};
    return ReserveResult{.reservation = View(stored)};
  }

  absl::Status Consume(const std::string&, const std::string& id) override {
    ++consume_calls;
    if (unavailable) return absl::UnavailableError("campaigns restarting");
    auto it = reservations.find(id);
    if (it == reservations.end()) return absl::FailedPreconditionError("no such reservation");
    Stored& stored = it->second;
    if (stored.state == Reservation::State::kConsumed) return absl::OkStatus();
    if (stored.state == Reservation::State::kReleased || stored.expire_time <= now) {
      return absl::FailedPreconditionError("the reservation expired");
    }
    stored.state = Reservation::State::kConsumed;
    return absl::OkStatus();
  }

  absl::Status Release(const std::string&, const std::string& id) override {
    released.push_back(id);
    if (unavailable) return absl::UnavailableError("campaigns restarting");
    if (auto it = reservations.find(id); it != reservations.end()) {
      it->second.state = Reservation::State::kReleased;
    }
    return absl::OkStatus();
  }

  // Consumed plus unexpired reserved uses, as `campaigns` counts them.
  int Uses(const std::string& code) const {
    int uses = 0;
    for (const auto& [id, stored] : reservations) {
      if (stored.code != code) continue;
      if (stored.state == Reservation::State::kConsumed ||
          (stored.state == Reservation::State::kReserved && stored.expire_time > now)) {
        ++uses;
      }
    }
    return uses;
  }
  int Consumed(const std::string& code) const {
    int consumed = 0;
    for (const auto& [id, stored] : reservations) {
      if (stored.code == code && stored.state == Reservation::State::kConsumed) ++consumed;
    }
    return consumed;
  }

  std::map<std::string, Code> codes;
  std::map<std::string, Stored> reservations;
  std::vector<std::string> released;
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  bool unavailable = false;
  int reserve_calls = 0;
  int consume_calls = 0;

 private:
  Reservation View(const Stored& stored) const {
    return Reservation{.state = stored.state,
                       .pool_id = codes.at(stored.code).pool_id,
                       .expire_time = stored.expire_time};
  }
};

}  // namespace loyalty::pos
