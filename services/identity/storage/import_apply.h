#pragma once

// The row loop of ImportStore::Apply, set-based: rows are taken in groups,
// the clients their keys may find are read in one statement per group, and
// the clients the group creates are inserted together (RegisterClientsInTx)
// rather than with several statements per row. Storage-internal: pqxx in
// the interface.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/attribute.h"
#include "services/identity/domain/client_import.h"
#include "services/identity/storage/client_writes.h"

namespace loyalty::identity {

// Adds rows to the import's error report (replacing earlier errors of the
// same lines).
void InsertImportErrors(pg::Tx& tx, const std::string& operation_id,
                        const std::vector<ImportRowError>& errors);

// Rows of one group: read together, created together.
inline constexpr size_t kImportApplyGroupRows = 1000;

class ImportApplier final {
 public:
  // Writes in `tx`, with `schema` loaded (and share-locked) by the caller;
  // adds to `counts`; refused rows go to the import's error report.
  ImportApplier(pg::Tx& tx, const std::string& program_id, const std::string& operation_id,
                const ImportOptions& options, const std::string& default_country_code,
                absl::CivilDay today, const std::vector<Attribute>& schema, ImportCounts& counts);

  // Rows in file order. Errors other than a row's refusal stop the apply.
  absl::Status Add(ImportRow row);
  // Applies what is buffered and writes the remaining error rows.
  absl::Status Finish();

 private:
  // A client a key of the group may find: stored, or created by an earlier
  // row of the group and not inserted yet.
  struct KnownClient {
    std::string client_id;  // empty while it waits for the group's insert
    std::string phone, email, external_id, referral_code;
    bool live = true;  // not erased or merged: a dedupe key may find it
  };
  enum KeyKind : char { kClientIdKey, kPhoneKey, kEmailKey, kExternalIdKey, kReferralCodeKey };

  absl::Status ApplyGroup();
  void RefreshPlannerStatistics();
  void LoadKnownClients(const std::vector<std::pair<int64_t, ImportedRow>>& rows);
  // The client's non-empty keys.
  static std::vector<std::pair<KeyKind, const std::string*>> KeysOf(const KnownClient& client);
  void Remember(KnownClient client);
  void Forget(size_t index);
  std::vector<size_t> Holders(KeyKind kind, const std::string& value) const;
  absl::Status ApplyRow(int64_t line, ImportedRow& row);
  absl::Status CreateClient(int64_t line, ImportedRow& row);
  absl::Status UpdateClient(int64_t line, const ImportedRow& row, size_t known_index);
  // Inserts the clients pending creation (before anything that reads the
  // table for them: an update checks unique keys there).
  void FlushPending();
  void Reject(int64_t line, const absl::Status& status);

  pg::Tx& tx_;
  const std::string& program_id_;
  const std::string& operation_id_;
  const ImportOptions& options_;
  const std::string& default_country_code_;
  const absl::CivilDay today_;
  const std::vector<Attribute>& schema_;
  ImportCounts& counts_;

  std::vector<ImportRow> group_;
  std::vector<KnownClient> known_;
  // "<kind><value>" -> indexes in known_ (a forgotten client leaves a
  // tombstone: its index is removed from here).
  absl::flat_hash_map<std::string, std::vector<size_t>> by_key_;
  std::vector<ClientToRegister> pending_;
  std::vector<size_t> pending_known_;  // known_ index of each pending client
  std::vector<ImportRowError> errors_;
  // Created clients after which the tables are analyzed again.
  int64_t analyze_at_created_ = static_cast<int64_t>(kImportApplyGroupRows);
};

}  // namespace loyalty::identity
