#pragma once

// PostgreSQL side of merging duplicate clients (CLI-7, table
// client_merges). Identity's part of a merge commits in one transaction
// and leaves the merge CARDS_PENDING; the cards step (in `cards`) is
// recorded afterwards. See services/identity/README.md, "Merging clients".

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/client.h"
#include "services/identity/domain/consent.h"

namespace loyalty::identity {

struct ClientMergeRecord {
  std::string program_id;
  std::string request_id;
  std::string survivor_id;
  std::string duplicate_id;
  bool cards_done = false;
  std::vector<std::string> added_tag_ids;
  std::vector<std::string> filled_fields;
  int moved_consent_records = 0;
  std::vector<std::string> owned_card_numbers;  // set when cards_done
  std::vector<std::string> held_card_numbers;   // set when cards_done
  int cards_attempts = 0;                       // failed ones
  absl::Time create_time;
  std::optional<absl::Time> complete_time;
};

class ClientMergeStore final {
 public:
  explicit ClientMergeStore(pg::Pool& pool) : pool_(pool) {}

  // Identity's part of a merge, in one transaction, under row locks of
  // both clients: the duplicate's tags go to the survivor (and leave the
  // duplicate), its consent history moves to the survivor keeping record
  // times (the current state is derived again), the survivor's missing
  // profile fields are filled (FillMissingFields) after the duplicate's
  // unique keys and e-mail were cleared, and the duplicate gets
  // merged_into. Events: ClientsMerged, and ClientTagsChanged,
  // ClientUpdated, ClientConsentChanged where those changed. The same
  // request id again returns the recorded merge (pending or done) and
  // changes nothing; with other clients it is ALREADY_EXISTS naming
  // `request_id`. An unknown client of the program is NOT_FOUND naming
  // `survivor_client_id` / `duplicate_client_id`; a client already merged
  // is FAILED_PRECONDITION naming it. Ids are normalised UUIDs.
  absl::StatusOr<ClientMergeRecord> Begin(const std::string& program_id,
                                          const std::string& survivor_id,
                                          const std::string& duplicate_id,
                                          const std::string& request_id,
                                          const AuditActor& merged_by);

  // The merge of this request id; NOT_FOUND when none.
  absl::StatusOr<ClientMergeRecord> Get(const std::string& program_id,
                                        const std::string& request_id);

  // Marks the cards step done with what cards moved; a done merge stays
  // as it is. Returns the merge.
  absl::StatusOr<ClientMergeRecord> CompleteCards(const std::string& program_id,
                                                  const std::string& request_id,
                                                  const std::vector<std::string>& owned_card_numbers,
                                                  const std::vector<std::string>& held_card_numbers);

  // Counts a failed cards step and keeps why.
  absl::Status RecordCardsFailure(const std::string& program_id, const std::string& request_id,
                                  absl::string_view error);

  // Merges of every program still CARDS_PENDING that were begun before
  // `begun_before`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<ClientMergeRecord>> ListPending(absl::Time begun_before, int limit);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
