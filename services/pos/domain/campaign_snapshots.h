#pragma once

// The active campaigns of each program, compiled for the rule engine and
// kept fresh, so that pricing a receipt never waits for `campaigns`.
//
// A program's snapshot is loaded on its first receipt. After that it is
// replaced in the background: when `campaigns` announces a newer snapshot
// version (ActiveCampaignsChanged), and, as a safety net against a lost
// event, once it is older than `max_age`. Readers always get whatever is
// current at once; a failed load keeps the previous snapshot.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/promotions/engine.h"
#include "libs/promotions/model.h"

namespace loyalty::pos {

// Where the campaigns come from (`campaigns`' GetActiveCampaigns).
class CampaignSource {
 public:
  struct Active {
    std::vector<promotions::Campaign> campaigns;
    int64_t snapshot_version = 0;
  };

  virtual ~CampaignSource() = default;
  virtual absl::StatusOr<Active> Load(const std::string& program_id) = 0;
};

// Where a program's IANA time zone comes from (identity's GetProgram).
// Schedules without a zone of their own and birthdays are read in it.
class ProgramZoneSource {
 public:
  virtual ~ProgramZoneSource() = default;
  // The zone's name; empty when the program has none.
  virtual absl::StatusOr<std::string> TimeZoneName(const std::string& program_id) = 0;
};

// What a pricing call gets: `snapshot` is null when the program's campaigns
// could not be loaded yet, and the receipt is then priced without them.
struct CampaignSnapshot {
  std::shared_ptr<const promotions::Snapshot> snapshot;
  int64_t snapshot_version = 0;
};

struct CampaignSnapshotOptions {
  // A snapshot older than this is reloaded even without an event.
  absl::Duration max_age = absl::Seconds(60);
  // After a failed load, the next attempt for that program waits this long,
  // so that an unreachable `campaigns` is not called on every receipt.
  absl::Duration retry_after = absl::Seconds(1);
  // The program zone when there is no ProgramZoneSource, or when it names
  // no zone or an unknown one.
  absl::TimeZone program_zone = absl::UTCTimeZone();
};

class CampaignSnapshots final {
 public:
  using Clock = std::function<absl::Time()>;
  // Called once per failed load (a metric and a log line in production).
  using FailureListener = std::function<void(const std::string& program_id, const absl::Status&)>;

  // `zones` (optional) is asked for the program's zone at every load, so a
  // changed zone arrives with the next refresh. When it fails, the zone
  // last known (else `options.program_zone`) is used and the snapshot is
  // refreshed again after `retry_after` rather than `max_age`.
  CampaignSnapshots(CampaignSource& source, Clock clock, CampaignSnapshotOptions options,
                    FailureListener on_failure = nullptr, ProgramZoneSource* zones = nullptr);

  // The program's current snapshot. Loads it synchronously only when the
  // program has none yet; otherwise returns at once and, when it is stale,
  // asks the background refresher for a new one.
  CampaignSnapshot Get(const std::string& program_id);

  // `campaigns` announced `snapshot_version` for the program. A program
  // not yet loaded is left alone: its first Get loads the newest.
  void Announce(const std::string& program_id, int64_t snapshot_version);

  // Reloads every program marked stale; returns how many loads succeeded.
  // Run() calls it; tests call it directly.
  int RefreshStale();

  // Refreshes in the background until `stop`.
  void Run(std::stop_token stop);

 private:
  struct Entry {
    std::shared_ptr<const promotions::Snapshot> snapshot;
    int64_t snapshot_version = 0;
    absl::Time loaded_at = absl::InfinitePast();
    absl::Time last_failure = absl::InfinitePast();
    int64_t announced_version = 0;
    bool queued = false;  // waiting for the refresher
    std::optional<absl::TimeZone> zone;  // the program's, once read
    bool zone_guessed = false;           // the last load could not read it
  };

  // The zone to compile the program's snapshot with.
  absl::TimeZone ProgramZone(const std::string& program_id, bool& guessed);

  // Loads and compiles outside the lock, then installs the result unless a
  // newer one got there first. False (and the listener told) on failure.
  bool Load(const std::string& program_id);
  bool IsStale(const Entry& entry, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Enqueue(const std::string& program_id, Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  CampaignSource& source_;
  Clock clock_;
  CampaignSnapshotOptions options_;
  FailureListener on_failure_;
  ProgramZoneSource* zones_;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> queue_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty::pos
