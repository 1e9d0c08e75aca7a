#include "services/cards/storage/commit_queue.h"

#include <utility>
#include <vector>

namespace loyalty::cards {

CommitQueue::CommitQueue(CommitQueueOptions options, Writer writer)
    : options_(options), writer_(std::move(writer)) {}

std::vector<CommitQueue::Entry*> CommitQueue::TakeBatch() {
  std::vector<Entry*> batch;
  const std::string program_id = *queue_.front()->program_id;
  size_t transfers = 0;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < options_.max_requests;) {
    Entry* entry = *it;
    const size_t size = entry->request->transfers.size();
    if (*entry->program_id != program_id ||
        (!batch.empty() && transfers + size > options_.max_transfers)) {
      ++it;
      continue;
    }
    transfers += size;
    batch.push_back(entry);
    it = queue_.erase(it);
  }
  return batch;
}

size_t CommitQueue::waiting() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

absl::StatusOr<CommitResult> CommitQueue::Commit(const std::string& program_id,
                                                 const CommitRequest& request) {
  Entry entry{.program_id = &program_id, .request = &request};
  std::unique_lock lock(mutex_);
  queue_.push_back(&entry);
  while (!entry.done) {
    // The next batch is the front entry's program's; another program's
    // calls never wait for enough company behind a batch they are not in.
    const bool may_write =
        !queue_.empty() && writers_ < options_.max_writers &&
        (writers_ == 0 || queue_.size() >= options_.min_requests_for_another_writer ||
         !writing_.contains(*queue_.front()->program_id));
    if (!may_write) {
      changed_.wait(lock);
      continue;
    }
    std::vector<Entry*> batch = TakeBatch();
    ++writers_;
    const std::string program_id = *batch.front()->program_id;
    ++writing_[program_id];
    lock.unlock();
    std::vector<const CommitRequest*> requests;
    requests.reserve(batch.size());
    for (const Entry* taken : batch) requests.push_back(taken->request);
    std::vector<absl::StatusOr<CommitResult>> results =
        writer_(*batch.front()->program_id, requests);
    lock.lock();
    --writers_;
    if (--writing_[program_id] == 0) writing_.erase(program_id);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = std::move(results.at(i));
      batch[i]->done = true;
    }
    // Wakes the callers just answered, and a waiting caller to write next.
    changed_.notify_all();
  }
  return std::move(entry.result);
}

}  // namespace loyalty::cards
