#pragma once

// An in-memory CertificatesService for tests, with the rules `cards` keeps:
// holds idempotent by hold id, postings and refunds idempotent by request
// id, a posting spends its hold once, refunds never exceed the posting.

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "services/pos/domain/certificates.h"

namespace loyalty::pos {

class FakeCertificates final : public Certificates {
 public:
  struct Certificate {
    std::string program_id = "p";
    int64_t balance = 0;
    bool blocked = false;
    bool expired = false;
  };
  struct HoldRow {
    std::string number;
    int64_t amount = 0;
    enum class State { kHeld, kPosted, kVoided, kLapsed } state = State::kHeld;
  };
  struct Operation {
    std::string number;
    int64_t amount = 0;  // signed: spent < 0, given back > 0
    std::string refund_of;
  };

  void Issue(const std::string& number, int64_t balance) {
    certificates[number] = Certificate{.balance = balance};
  }
  int64_t Held(const std::string& number) const {
    int64_t held = 0;
    for (const auto& [id, hold] : holds) {
      if (hold.number == number && hold.state == HoldRow::State::kHeld) held += hold.amount;
    }
    return held;
  }
  int64_t Available(const std::string& number) const {
    const Certificate& c = certificates.at(number);
    if (c.blocked || c.expired) return 0;
    return c.balance - Held(number);
  }
  // Every hold of the number lapses (its time ran out).
  void LapseHolds(const std::string& number) {
    for (auto& [id, hold] : holds) {
      if (hold.number == number && hold.state == HoldRow::State::kHeld) {
        hold.state = HoldRow::State::kLapsed;
      }
    }
  }

  absl::StatusOr<Info> Get(const std::string& program_id, const std::string& number) override {
    if (absl::Status status = Fault(); !status.ok()) return status;
    auto it = certificates.find(number);
    if (it == certificates.end() || it->second.program_id != program_id) {
      return absl::NotFoundError("certificate not found");
    }
    Info info{.available = Available(number)};
    if (it->second.blocked) {
      info.status = Info::Status::kBlocked;
      info.status_reason = "lost";
    } else if (it->second.expired) {
      info.status = Info::Status::kExpired;
    } else if (it->second.balance == 0) {
      info.status = Info::Status::kRedeemed;
    }
    return info;
  }
  absl::Status Hold(const std::string& program_id, const std::string& number,
                    const std::string& hold_id, int64_t amount, const std::string&) override {
    if (absl::Status status = Fault(); !status.ok()) return status;
    ++hold_calls;
    auto found = holds.find(hold_id);
    if (found != holds.end()) return absl::OkStatus();
    auto it = certificates.find(number);
    if (it == certificates.end() || it->second.program_id != program_id) {
      return absl::NotFoundError("certificate not found");
    }
    if (it->second.blocked) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "number",
                        "the certificate is blocked");
    }
    if (amount > Available(number)) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "amount",
                        absl::StrCat("exceeds the available amount ", Available(number)));
    }
    holds[hold_id] = HoldRow{.number = number, .amount = amount};
    return absl::OkStatus();
  }
  absl::Status Post(const std::string&, const std::string& number, const std::string& hold_id,
                    int64_t amount, const std::string& request_id) override {
    if (absl::Status status = Fault(); !status.ok()) return status;
    if (operations.contains(request_id)) return absl::OkStatus();  // a replay
    auto it = holds.find(hold_id);
    if (it == holds.end() || it->second.state != HoldRow::State::kHeld) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "hold_id",
                        "the hold is not held any more");
    }
    if (amount > it->second.amount) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "amount", "more than held");
    }
    it->second.state = HoldRow::State::kPosted;
    certificates.at(number).balance -= amount;
    operations[request_id] = Operation{.number = number, .amount = -amount};
    ++posts;
    return absl::OkStatus();
  }
  absl::Status Void(const std::string&, const std::string&, const std::string& hold_id) override {
    if (absl::Status status = Fault(); !status.ok()) return status;
    if (fail_voids > 0) {
      --fail_voids;
      return absl::UnavailableError("cards restarting");
    }
    auto it = holds.find(hold_id);
    if (it == holds.end()) return absl::NotFoundError("hold not found");
    if (it->second.state == HoldRow::State::kPosted) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "hold_id", "posted");
    }
    it->second.state = HoldRow::State::kVoided;
    ++voids;
    return absl::OkStatus();
  }
  absl::Status Refund(const std::string&, const std::string& number,
                      const std::string& redemption_id, int64_t amount,
                      const std::string& request_id) override {
    if (absl::Status status = Fault(); !status.ok()) return status;
    if (operations.contains(request_id)) return absl::OkStatus();  // a replay
    auto posting = operations.find(redemption_id);
    if (posting == operations.end() || posting->second.number != number) {
      return FieldError(absl::StatusCode::kNotFound, "redemption_id", "no such redemption");
    }
    int64_t left = -posting->second.amount;
    for (const auto& [id, op] : operations) {
      if (op.refund_of == redemption_id) left -= op.amount;
    }
    if (amount > left) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "amount", "more than left");
    }
    certificates.at(number).balance += amount;
    operations[request_id] =
        Operation{.number = number, .amount = amount, .refund_of = redemption_id};
    return absl::OkStatus();
  }

  std::map<std::string, Certificate> certificates;
  std::map<std::string, HoldRow> holds;
  std::map<std::string, Operation> operations;
  int fail_calls = 0;  // the next calls fail as if `cards` were down
  int fail_voids = 0;  // the next Void calls fail so
  int hold_calls = 0;
  int posts = 0;
  int voids = 0;

 private:
  absl::Status Fault() {
    if (fail_calls <= 0) return absl::OkStatus();
    --fail_calls;
    return absl::UnavailableError("cards restarting");
  }
};

}  // namespace loyalty::pos
