#pragma once

// Transactional outbox: domain events are written in the same transaction
// as the change they describe, and a relay publishes them to Redis Streams.
// Delivery is at-least-once; consumers deduplicate by event id.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/pg/migrations.h"
#include "libs/pg/pool.h"

namespace google::protobuf {
class Message;
}
namespace prometheus {
class Registry;
}

namespace loyalty::redis {
class Client;
}

namespace loyalty::outbox {

// The outbox table; append these to a service's own migrations.
std::span<const pg::Migration> Migrations();

// A service's migrations followed by the outbox table's: what a service
// applies to its schema.
std::vector<pg::Migration> WithOutboxTable(std::span<const pg::Migration> service);

// Stream a service publishes to: "loyalty.<service>.events".
std::string StreamFor(absl::string_view service);

// Records `event` (proto3 JSON of the message, type = its full name) in the
// caller's transaction. Returns the event id.
std::string Append(pg::Tx& tx, absl::string_view stream, absl::string_view program_id,
                   const google::protobuf::Message& event);

// Records several events of one program in one statement, in order (the
// relay publishes them in this order). For writers that apply many changes
// per transaction.
void AppendAll(pg::Tx& tx, absl::string_view stream, absl::string_view program_id,
               std::span<const google::protobuf::Message* const> events);

struct RelayOptions {
  int batch_size = 200;
  absl::Duration idle_poll = absl::Milliseconds(100);
  int64_t stream_max_length = 1'000'000;  // approximate trimming
  // Published rows are kept this long (to answer "was this event sent?"
  // and for the ledger's invariant checks), then deleted, oldest first:
  // every `prune_interval` Run looks at the `prune_limit` oldest rows and
  // deletes those published before the retention.
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration prune_interval = absl::Minutes(1);
  int prune_limit = 10'000;
};

class Relay final {
 public:
  Relay(pg::Pool& pool, redis::Client& redis, prometheus::Registry& registry,
        RelayOptions options = {});
  ~Relay();

  // Publishes one batch of pending events; returns how many, or an error.
  absl::StatusOr<int> PublishBatch();

  // Of the `prune_limit` oldest rows, deletes those published longer than
  // `retention` ago; returns how many.
  absl::StatusOr<int> PruneOnce();

  // Publishes until stop is requested, backing off while idle or failing,
  // and prunes every `prune_interval`.
  void Run(std::stop_token stop);

 private:
  struct Metrics;
  pg::Pool& pool_;
  redis::Client& redis_;
  RelayOptions options_;
  std::unique_ptr<Metrics> metrics_;
};

// One event read from a stream.
struct StreamEvent {
  std::string entry_id;  // Redis stream entry id
  std::string event_id;
  std::string type;
  std::string program_id;
  std::string payload;  // proto3 JSON
  std::string occurred_at;
};

// Reads a stream as a member of a consumer group; entries are acknowledged
// only after the handler succeeds, so a crash redelivers them. An entry
// whose handler fails `max_attempts` times in a row is moved to the stream
// "<stream>.dead" (with the group and the last error) and acknowledged, so
// one poison event cannot stall everything behind it.
class StreamConsumer final {
 public:
  // One event at a time; the first failure ends the round, leaving it and
  // the entries after it pending.
  using Handler = std::function<absl::Status(const StreamEvent&)>;
  // Every entry of a read (up to 100) at once, so that a handler can apply
  // them in one transaction. Returns one status per event, in order; a
  // shorter answer leaves the entries it does not cover pending, untried.
  // Entries that succeeded are acknowledged even when an earlier one
  // failed; the first failure counts towards its dead-lettering, the
  // others are simply redelivered.
  using BatchHandler = std::function<std::vector<absl::Status>(std::span<const StreamEvent>)>;

  StreamConsumer(redis::Client& redis, std::string stream, std::string group, std::string consumer,
                 Handler handler, int max_attempts = 10);
  StreamConsumer(redis::Client& redis, std::string stream, std::string group, std::string consumer,
                 BatchHandler handler, int max_attempts = 10);

  // Creates the group if needed, then handles pending and new entries.
  // Returns how many entries were handled in this round.
  absl::StatusOr<int> PollOnce(absl::Duration block);

  void Run(std::stop_token stop);

 private:
  absl::Status EnsureGroup();
  absl::StatusOr<int> ReadAndHandle(const std::string& from, absl::Duration block);
  absl::Status DeadLetter(const StreamEvent& event, const absl::Status& error);

  redis::Client& redis_;
  std::string stream_;
  std::string group_;
  std::string consumer_;
  BatchHandler handler_;
  int max_attempts_;
  std::string failing_entry_;  // the entry whose handler last failed
  int failures_ = 0;           // consecutive failures of that entry
  bool group_ready_ = false;
  bool pending_drained_ = false;
};

// Reads every entry a stream gets from the moment it first polls, without
// a consumer group: for state each replica keeps for itself (caches,
// snapshots), where every replica must see every event and a group per
// replica would stay behind in Redis after the replica is gone. Nothing is
// acknowledged: a restarted follower starts again at the stream's end, so
// what it missed meanwhile must be recovered another way (such state is
// reloaded at start anyway). An entry whose handler fails `max_attempts`
// times in a row is skipped with an error log; the entries before it are
// not handled again.
class StreamFollower final {
 public:
  StreamFollower(redis::Client& redis, std::string stream, StreamConsumer::Handler handler,
                 int max_attempts = 10);

  // The first call positions the follower after the stream's last entry
  // (entries already there are not handled); every call then handles the
  // entries after the last one handled, waiting up to `block` for some.
  // Returns how many were handled.
  absl::StatusOr<int> PollOnce(absl::Duration block);

  void Run(std::stop_token stop);

 private:
  absl::Status Start();

  redis::Client& redis_;
  std::string stream_;
  StreamConsumer::Handler handler_;
  int max_attempts_;
  std::string last_id_;  // of the last entry handled or skipped; empty before Start
  int failures_ = 0;     // consecutive failures of the entry after last_id_
};

}  // namespace loyalty::outbox
