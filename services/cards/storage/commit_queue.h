#pragma once

// Group commit for ledger writes. Every caller waits for its own commit
// anyway; while one batch is being written, the requests that arrive queue
// up and the next free writer takes them all (up to a limit) into one
// transaction: one lock round, one set of multi-row statements, one WAL
// flush for many transfers. An idle queue adds no delay: a request that
// finds a free writer runs at once, alone.
//
// There is no writer thread: callers take turns as writers, so a batch
// runs on the thread of one of the callers in it, and every call returns
// only once its own request has been applied.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/storage/transfer_batch.h"

namespace loyalty::cards {

struct CommitQueueOptions {
  // Batches written at the same time. More than one lets the next batch
  // be read and planned while another waits for its commit to be flushed.
  int max_writers = 2;
  // While a batch of a program is being written, another writer for that
  // program starts only once this many requests wait: fewer wait for the
  // running batch to finish and go together. (Another program's requests
  // take a free writer at once.) Each batch has a fixed cost (its reads, its statements, its
  // commit), so a second writer with a batch of one or two costs more CPU
  // than it saves in waiting; with enough queued it keeps both CPUs busy.
  size_t min_requests_for_another_writer = 8;
  size_t max_requests = 64;    // per batch
  size_t max_transfers = 512;  // per batch, summed over its requests
};

class CommitQueue final {
 public:
  // Applies one program's requests, returning one result per request.
  using Writer = std::function<std::vector<absl::StatusOr<CommitResult>>(
      const std::string& program_id, std::span<const CommitRequest* const> requests)>;

  CommitQueue(CommitQueueOptions options, Writer writer);

  // Queues the request, takes a turn as writer when one is free, and
  // returns once the request has been applied (or refused).
  absl::StatusOr<CommitResult> Commit(const std::string& program_id, const CommitRequest& request);

  // Requests queued and not yet taken by a writer.
  size_t waiting();

 private:
  struct Entry {
    const std::string* program_id;
    const CommitRequest* request;
    absl::StatusOr<CommitResult> result = absl::UnknownError("not applied");
    bool done = false;
  };
  // Removes the next batch from the queue: entries of the front entry's
  // program, in order, within the limits.
  std::vector<Entry*> TakeBatch();

  const CommitQueueOptions options_;
  const Writer writer_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Entry*> queue_;
  int writers_ = 0;
  absl::flat_hash_map<std::string, int> writing_;  // batches running, by program
};

}  // namespace loyalty::cards
