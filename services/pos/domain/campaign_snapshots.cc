#include "services/pos/domain/campaign_snapshots.h"

#include <utility>

namespace loyalty::pos {

CampaignSnapshots::CampaignSnapshots(CampaignSource& source, Clock clock,
                                     CampaignSnapshotOptions options, FailureListener on_failure,
                                     ProgramZoneSource* zones)
    : source_(source),
      clock_(std::move(clock)),
      options_(options),
      on_failure_(std::move(on_failure)),
      zones_(zones) {}

CampaignSnapshot CampaignSnapshots::Get(const std::string& program_id) {
  {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(program_id);
    if (it != entries_.end() && it->second.snapshot != nullptr) {
      Entry& entry = it->second;
      if (IsStale(entry, clock_())) Enqueue(program_id, entry);
      return {entry.snapshot, entry.snapshot_version};
    }
    // No snapshot yet: after a recent failure, price without campaigns
    // rather than wait for `campaigns` again on every receipt.
    if (it != entries_.end() && clock_() - it->second.last_failure < options_.retry_after) {
      return {};
    }
  }
  // The first receipt of a program waits for its campaigns once; two such
  // receipts at the same moment may both load, which is harmless.
  Load(program_id);
  absl::MutexLock lock(&mutex_);
  const Entry& entry = entries_[program_id];
  return {entry.snapshot, entry.snapshot_version};
}

void CampaignSnapshots::Announce(const std::string& program_id, int64_t snapshot_version) {
  absl::MutexLock lock(&mutex_);
  auto it = entries_.find(program_id);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  if (snapshot_version <= entry.announced_version) return;
  entry.announced_version = snapshot_version;
  // An announcement is news: retry at once even after a recent failure.
  entry.last_failure = absl::InfinitePast();
  if (snapshot_version > entry.snapshot_version) Enqueue(program_id, entry);
}

bool CampaignSnapshots::IsStale(const Entry& entry, absl::Time now) const {
  if (entry.queued || now - entry.last_failure < options_.retry_after) return false;
  if (entry.zone_guessed && now - entry.loaded_at >= options_.retry_after) return true;
  return entry.announced_version > entry.snapshot_version ||
         now - entry.loaded_at >= options_.max_age;
}

void CampaignSnapshots::Enqueue(const std::string& program_id, Entry& entry) {
  if (entry.queued) return;
  entry.queued = true;
  queue_.push_back(program_id);
}

int CampaignSnapshots::RefreshStale() {
  std::vector<std::string> programs;
  {
    absl::MutexLock lock(&mutex_);
    programs.swap(queue_);
  }
  int loaded = 0;
  for (const std::string& program_id : programs) {
    if (Load(program_id)) ++loaded;
  }
  return loaded;
}

void CampaignSnapshots::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      absl::MutexLock lock(&mutex_);
      // Wakes up now and then to notice `stop`, which cannot signal the mutex.
      mutex_.AwaitWithTimeout(
          absl::Condition(
              +[](std::vector<std::string>* queue) { return !queue->empty(); }, &queue_),
          absl::Milliseconds(200));
    }
    RefreshStale();
  }
}

absl::TimeZone CampaignSnapshots::ProgramZone(const std::string& program_id, bool& guessed) {
  guessed = false;
  if (zones_ == nullptr) return options_.program_zone;
  absl::StatusOr<std::string> name = zones_->TimeZoneName(program_id);
  absl::TimeZone zone;
  if (name.ok()) {
    // The source reports an empty or unknown name; it is not retried: only
    // the program's owner can fix it.
    if (name->empty() || !absl::LoadTimeZone(*name, &zone)) return options_.program_zone;
    return zone;
  }
  guessed = true;
  absl::MutexLock lock(&mutex_);
  auto it = entries_.find(program_id);
  return it != entries_.end() && it->second.zone ? *it->second.zone : options_.program_zone;
}

bool CampaignSnapshots::Load(const std::string& program_id) {
  absl::StatusOr<CampaignSource::Active> active = source_.Load(program_id);
  bool zone_guessed = false;
  absl::TimeZone zone = active.ok() ? ProgramZone(program_id, zone_guessed) : options_.program_zone;
  absl::StatusOr<promotions::Snapshot> compiled =
      active.ok() ? promotions::Snapshot::Compile(active->campaigns, zone)
                  : absl::StatusOr<promotions::Snapshot>(active.status());
  absl::Time now = clock_();
  {
    absl::MutexLock lock(&mutex_);
    Entry& entry = entries_[program_id];
    entry.queued = false;
    if (compiled.ok()) {
      entry.last_failure = absl::InfinitePast();
      // A slower load may finish after a newer one: keep the newer.
      if (entry.snapshot == nullptr || active->snapshot_version >= entry.snapshot_version) {
        entry.snapshot = std::make_shared<const promotions::Snapshot>(*std::move(compiled));
        entry.snapshot_version = active->snapshot_version;
        entry.loaded_at = now;
        entry.zone_guessed = zone_guessed;
        if (!zone_guessed) entry.zone = zone;
      }
      return true;
    }
    entry.last_failure = now;
  }
  if (on_failure_) on_failure_(program_id, compiled.status());
  return false;
}

}  // namespace loyalty::pos
