#include "services/identity/api/client_merger.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/log.h"
#include "libs/common/periodic.h"
#include "libs/common/status_macros.h"
#include "services/identity/api/audit_actor.h"

namespace loyalty::identity {

absl::StatusOr<ClientMergeRecord> ClientMerger::Merge(const rpc::CallContext& call,
                                                      const std::string& survivor_id,
                                                      const std::string& duplicate_id,
                                                      const std::string& request_id) {
  ASSIGN_OR_RETURN(ClientMergeRecord merge,
                   store_.Begin(call.program_id, survivor_id, duplicate_id, request_id,
                                AuditActorOf(call)));
  if (merge.cards_done) return merge;
  return FinishCards(call, merge);
}

absl::StatusOr<ClientMergeRecord> ClientMerger::FinishCards(const rpc::CallContext& call,
                                                            const ClientMergeRecord& merge) {
  absl::StatusOr<CardsMoved> moved =
      cards_.Reassign(call, merge.duplicate_id, merge.survivor_id, merge.request_id);
  if (!moved.ok()) {
    // Keeping the failure is best effort: the merge stays pending anyway.
    absl::Status recorded =
        store_.RecordCardsFailure(merge.program_id, merge.request_id, moved.status().ToString());
    if (!recorded.ok()) log::Warn(absl::StrCat("client merge: ", recorded.ToString()));
    return absl::Status(
        moved.status().code(),
        absl::StrCat("the clients are merged in identity but their cards are not moved yet (",
                     moved.status().message(),
                     "); retry with the same request_id, or it finishes in the background"));
  }
  return store_.CompleteCards(merge.program_id, merge.request_id, moved->owned_card_numbers,
                              moved->held_card_numbers);
}

int ClientMerger::FinishPending(absl::Time begun_before, int limit) {
  absl::StatusOr<std::vector<ClientMergeRecord>> pending =
      store_.ListPending(begun_before, limit);
  if (!pending.ok()) {
    log::Warn(absl::StrCat("client merge: listing pending merges: ", pending.status().ToString()));
    return 0;
  }
  int finished = 0;
  for (const ClientMergeRecord& merge : *pending) {
    // The job acts for the program of the merge, as the service itself.
    const rpc::CallContext call{.program_id = merge.program_id,
                                .role = "ROLE_ADMIN",
                                .principal_id = "identity:client-merge"};
    absl::StatusOr<ClientMergeRecord> done = FinishCards(call, merge);
    if (done.ok()) {
      ++finished;
    } else {
      log::Warn(absl::StrCat("client merge ", merge.request_id, ": ", done.status().ToString()));
    }
  }
  return finished;
}

void ClientMerger::Run(std::stop_token stop, absl::Duration interval) {
  RunPeriodically(std::move(stop), interval,
                  [&] { FinishPending(absl::Now() - interval, /*limit=*/100); });
}

}  // namespace loyalty::identity
