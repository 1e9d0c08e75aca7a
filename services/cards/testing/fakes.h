#pragma once

// Test doubles for the cards service's injected dependencies, in one place.

#include <deque>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/errors.h"
#include "services/cards/api/client_directory.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/clock.h"

namespace loyalty::cards::testing {

// A clock that moves only when told; safe to share between threads.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'750'000'000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mutex_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mutex_);
    now_ += by;
  }
  void Set(absl::Time time) {
    absl::MutexLock lock(&mutex_);
    now_ = time;
  }

 private:
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_);
};

// Hands out queued numbers first, then random EAN-13 ones.
class ScriptedNumberGenerator final : public CardNumberGenerator {
 public:
  void Queue(std::string number) {
    absl::MutexLock lock(&mutex_);
    queued_.push_back(std::move(number));
  }
  std::string Next() override {
    {
      absl::MutexLock lock(&mutex_);
      if (!queued_.empty()) {
        std::string next = std::move(queued_.front());
        queued_.pop_front();
        return next;
      }
    }
    return random_.Next();
  }

 private:
  absl::Mutex mutex_;
  std::deque<std::string> queued_ ABSL_GUARDED_BY(mutex_);
  RandomCardNumberGenerator random_;
};

// Knows the clients it was told about, per program.
class FakeClientDirectory final : public ClientDirectory {
 public:
  void Add(absl::string_view program_id, absl::string_view client_id) {
    absl::MutexLock lock(&mutex_);
    clients_.insert(absl::StrCat(program_id, "/", client_id));
  }
  void FailWith(absl::Status status) {
    absl::MutexLock lock(&mutex_);
    failure_ = std::move(status);
  }
  int calls() const {
    absl::MutexLock lock(&mutex_);
    return calls_;
  }

  absl::Status CheckClient(const rpc::CallContext& call, absl::string_view client_id) override {
    absl::MutexLock lock(&mutex_);
    ++calls_;
    if (!failure_.ok()) return failure_;
    if (!clients_.contains(absl::StrCat(call.program_id, "/", client_id))) {
      return InvalidField("client_id", "no such client in this program");
    }
    return absl::OkStatus();
  }

 private:
  mutable absl::Mutex mutex_;
  std::set<std::string> clients_ ABSL_GUARDED_BY(mutex_);
  absl::Status failure_ ABSL_GUARDED_BY(mutex_);
  int calls_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace loyalty::cards::testing
