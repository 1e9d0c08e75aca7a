#include "services/cards/storage/commit_queue.h"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::cards {
namespace {

// A writer that records its batches and answers each request with the
// request's first transfer id.
struct RecordingWriter {
  std::mutex mutex;
  std::vector<std::vector<std::string>> batches;  // transfer ids per batch
  std::vector<std::string> programs;
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  absl::Notification* release_first = nullptr;  // the first batch waits for it

  std::vector<absl::StatusOr<CommitResult>> Write(const std::string& program_id,
                                                  std::span<const CommitRequest* const> requests) {
    const int now_running = ++running;
    for (int seen = max_running;
         now_running > seen && !max_running.compare_exchange_weak(seen, now_running);) {
    }
    bool first = false;
    {
      std::lock_guard lock(mutex);
      first = batches.empty();
      std::vector<std::string> ids;
      for (const CommitRequest* request : requests)
        ids.push_back(request->transfers[0].transfer_id);
      batches.push_back(ids);
      programs.push_back(program_id);
    }
    if (first && release_first != nullptr) release_first->WaitForNotification();
    std::vector<absl::StatusOr<CommitResult>> results;
    for (const CommitRequest* request : requests) {
      const std::string& id = request->transfers[0].transfer_id;
      if (id.starts_with("refuse")) {
        results.push_back(absl::FailedPreconditionError(id));
      } else {
        results.push_back(CommitResult{.results = {TransferResult{.transfer_id = id}}});
      }
    }
    --running;
    return results;
  }
};

struct Call {
  std::string program;
  TransferSpec spec;
  absl::StatusOr<CommitResult> result = absl::UnknownError("not run");
};

// Runs each call on its own thread.
void RunConcurrently(CommitQueue& queue, std::vector<Call>& calls) {
  std::vector<std::thread> threads;
  for (Call& call : calls) {
    threads.emplace_back([&queue, &call] {
      const CommitRequest request{.transfers = {&call.spec, 1},
                                  .field_prefix = [](size_t) { return std::string(); }};
      call.result = queue.Commit(call.program, request);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// A queue whose first batch (one call, "first") holds the writer until
// `release` is notified.
struct HeldFirstBatch {
  explicit HeldFirstBatch(CommitQueueOptions options)
      : queue(options, [this](const std::string& p, std::span<const CommitRequest* const> r) {
          return writer.Write(p, r);
        }) {
    writer.release_first = &release;
    first.push_back(Call{.program = "p", .spec = {.transfer_id = "first"}});
    blocker = std::thread([this] { RunConcurrently(queue, first); });
    while (writer.running.load() == 0) std::this_thread::yield();
  }
  ~HeldFirstBatch() {
    if (!release.HasBeenNotified()) release.Notify();
    blocker.join();
  }

  RecordingWriter writer;
  absl::Notification release;
  CommitQueue queue;
  std::vector<Call> first;
  std::thread blocker;
};

TEST(CommitQueueTest, ARequestAloneRunsAtOnceInItsOwnBatch) {
  RecordingWriter writer;
  CommitQueue queue({}, [&](const std::string& p, std::span<const CommitRequest* const> r) {
    return writer.Write(p, r);
  });
  TransferSpec spec{.transfer_id = "t1"};
  auto result = queue.Commit(
      "p", CommitRequest{.transfers = {&spec, 1}, .field_prefix = [](size_t) { return ""; }});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->results[0].transfer_id, "t1");
  ASSERT_EQ(writer.batches.size(), 1u);
  EXPECT_EQ(writer.batches[0].size(), 1u);
}

TEST(CommitQueueTest, CallersArrivingDuringABatchShareTheNextOneAndGetTheirOwnResults) {
  // The first call occupies the only writer; the others queue behind it.
  HeldFirstBatch held({.max_writers = 1, .max_requests = 64});
  std::vector<Call> calls;
  for (int i = 0; i < 20; ++i) {
    calls.push_back(Call{.program = "p",
                         .spec = {.transfer_id = absl::StrCat(i % 5 == 0 ? "refuse-" : "ok-", i)}});
  }
  std::thread others([&] { RunConcurrently(held.queue, calls); });
  while (held.queue.waiting() < calls.size()) std::this_thread::yield();
  held.release.Notify();
  others.join();

  for (const Call& call : calls) {
    if (call.spec.transfer_id.starts_with("refuse")) {
      EXPECT_EQ(call.result.status().code(), absl::StatusCode::kFailedPrecondition);
    } else {
      ASSERT_TRUE(call.result.ok()) << call.result.status();
      EXPECT_EQ(call.result->results[0].transfer_id, call.spec.transfer_id);
    }
  }
  // The twenty waited for one batch and then went together.
  ASSERT_EQ(held.writer.batches.size(), 2u);
  EXPECT_EQ(held.writer.batches[1].size(), 20u);
  EXPECT_EQ(held.writer.max_running.load(), 1);
}

TEST(CommitQueueTest, AnotherWriterStartsOnlyOnceEnoughRequestsWait) {
  HeldFirstBatch held({.max_writers = 2, .min_requests_for_another_writer = 3});
  // Two waiting are not enough for a second writer...
  std::vector<Call> two = {Call{.program = "p", .spec = {.transfer_id = "a"}},
                           Call{.program = "p", .spec = {.transfer_id = "b"}}};
  std::thread pair([&] { RunConcurrently(held.queue, two); });
  while (held.queue.waiting() < 2) std::this_thread::yield();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(held.writer.running.load(), 1);
  EXPECT_EQ(held.queue.waiting(), 2u);

  // ...a third is: the three go together while the first batch still runs.
  std::vector<Call> third = {Call{.program = "p", .spec = {.transfer_id = "c"}}};
  std::thread last([&] { RunConcurrently(held.queue, third); });
  last.join();  // answered while the first batch is held
  pair.join();
  EXPECT_EQ(held.writer.max_running.load(), 2);
  EXPECT_FALSE(held.release.HasBeenNotified());
  ASSERT_EQ(held.writer.batches.size(), 2u);
  // "a" and "b" queue from two threads, in either order.
  EXPECT_THAT(held.writer.batches[1], ::testing::UnorderedElementsAre("a", "b", "c"));
}

TEST(CommitQueueTest, AnotherProgramsCallTakesAFreeWriterAtOnce) {
  HeldFirstBatch held({.max_writers = 2, .min_requests_for_another_writer = 8});
  std::vector<Call> other = {Call{.program = "q", .spec = {.transfer_id = "q-1"}}};
  std::thread call([&] { RunConcurrently(held.queue, other); });
  call.join();  // answered while program p's batch is held
  EXPECT_FALSE(held.release.HasBeenNotified());
  ASSERT_TRUE(other[0].result.ok()) << other[0].result.status();
  ASSERT_EQ(held.writer.programs.size(), 2u);
  EXPECT_EQ(held.writer.programs[1], "q");
}

TEST(CommitQueueTest, BatchesHoldOneProgramAndRespectTheLimits) {
  RecordingWriter writer;
  absl::Notification release;
  writer.release_first = &release;
  CommitQueue queue({.max_writers = 2, .max_requests = 4},
                    [&](const std::string& p, std::span<const CommitRequest* const> r) {
                      return writer.Write(p, r);
                    });
  std::vector<Call> calls;
  for (int i = 0; i < 30; ++i) {
    calls.push_back(
        Call{.program = i % 3 == 0 ? "a" : "b", .spec = {.transfer_id = absl::StrCat("t", i)}});
  }
  std::thread runner([&] { RunConcurrently(queue, calls); });
  absl::SleepFor(absl::Milliseconds(100));
  release.Notify();
  runner.join();

  size_t total = 0;
  for (size_t b = 0; b < writer.batches.size(); ++b) {
    EXPECT_LE(writer.batches[b].size(), 4u);
    for (const std::string& id : writer.batches[b]) {
      const int index = std::stoi(id.substr(1));
      EXPECT_EQ(writer.programs[b], index % 3 == 0 ? "a" : "b") << id;
    }
    total += writer.batches[b].size();
  }
  EXPECT_EQ(total, calls.size());
  EXPECT_LE(writer.max_running.load(), 2);
  for (const Call& call : calls) EXPECT_TRUE(call.result.ok());
}

}  // namespace
}  // namespace loyalty::cards
