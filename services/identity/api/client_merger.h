#pragma once

// Runs a client merge across identity and cards (CLI-7): identity's
// transaction first (the merge is then CARDS_PENDING), then cards'
// ReassignClientCards under the merge's request id, then DONE. Both steps
// are idempotent by the request id, so a merge interrupted in between
// (cards down, a crash) converges when the request is retried or when
// FinishPending picks it up.

#include <stop_token>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/rpc/call_context.h"
#include "services/identity/api/client_cards.h"
#include "services/identity/storage/client_merge_store.h"

namespace loyalty::identity {

class ClientMerger final {
 public:
  ClientMerger(ClientMergeStore& store, ClientCards& cards) : store_(store), cards_(cards) {}

  // Merges (or, for a request id seen before, finishes or returns) the
  // merge. When the cards step fails the identity part stays done and the
  // cards step's error is returned (UNAVAILABLE when cards is down).
  absl::StatusOr<ClientMergeRecord> Merge(const rpc::CallContext& call,
                                          const std::string& survivor_id,
                                          const std::string& duplicate_id,
                                          const std::string& request_id);

  // Finishes the cards step of merges still pending that were begun
  // before `begun_before` (older than any request that may still be
  // finishing them itself), at most `limit`. Returns how many finished.
  int FinishPending(absl::Time begun_before, int limit);

  // FinishPending every `interval` for merges older than `interval`, until
  // stopped: the background half of the convergence.
  void Run(std::stop_token stop, absl::Duration interval);

 private:
  absl::StatusOr<ClientMergeRecord> FinishCards(const rpc::CallContext& call,
                                                const ClientMergeRecord& merge);

  ClientMergeStore& store_;
  ClientCards& cards_;
};

}  // namespace loyalty::identity
