#include "libs/outbox/outbox.h"

#include <algorithm>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/log.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "libs/redis/client.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace loyalty::outbox {
namespace {

constexpr pg::Migration kMigrations[] = {
    {"outbox_0001_table", R"sql(
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  stream text NOT NULL,
  event_type text NOT NULL,
  program_id text NOT NULL,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
)sql"},
};

}  // namespace

std::span<const pg::Migration> Migrations() { return kMigrations; }

std::vector<pg::Migration> WithOutboxTable(std::span<const pg::Migration> service) {
  std::vector<pg::Migration> all(service.begin(), service.end());
  all.insert(all.end(), std::begin(kMigrations), std::end(kMigrations));
  return all;
}

std::string StreamFor(absl::string_view service) {
  return absl::StrCat("loyalty.", service, ".events");
}

namespace {

std::string EncodePayload(const google::protobuf::Message& event) {
  std::string payload;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(event, &payload, options);
  if (!status.ok()) {
    // Only possible for messages with invalid UTF-8 strings: a bug upstream.
    throw std::runtime_error(absl::StrCat("cannot encode event: ", status.ToString()));
  }
  return payload;
}

}  // namespace

void AppendAll(pg::Tx& tx, absl::string_view stream, absl::string_view program_id,
               std::span<const google::protobuf::Message* const> events) {
  if (events.empty()) return;
  std::vector<std::string> ids, types, payloads;
  for (const google::protobuf::Message* event : events) {
    ids.push_back(NewUuid());
    types.push_back(event->GetDescriptor()->full_name());
    payloads.push_back(EncodePayload(*event));
  }
  // WITH ORDINALITY ... ORDER BY keeps the ids (and so the relay's
  // publishing order) in the callers' order.
  pg::ExecPrepared(tx,
                   "INSERT INTO outbox (event_id, stream, event_type, program_id, payload)"
                   " SELECT e.id, $1, e.type, $2, e.payload"
                   " FROM unnest($3::uuid[], $4::text[], $5::text[])"
                   "      WITH ORDINALITY AS e(id, type, payload, n)"
                   " ORDER BY e.n",
                   std::string(stream), std::string(program_id), pg::TextArray(ids),
                   pg::TextArray(types), pg::TextArray(payloads));
}

std::string Append(pg::Tx& tx, absl::string_view stream, absl::string_view program_id,
                   const google::protobuf::Message& event) {
  const std::string payload = EncodePayload(event);
  std::string event_id = NewUuid();
  pg::ExecPrepared(tx,
                   "INSERT INTO outbox (event_id, stream, event_type, program_id, payload)"
                   " VALUES ($1, $2, $3, $4, $5)",
                   event_id, std::string(stream), event.GetDescriptor()->full_name(),
                   std::string(program_id), payload);
  return event_id;
}

struct Relay::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : published(prometheus::BuildCounter()
                      .Name("loyalty_outbox_published_total")
                      .Help("Events published from the outbox to Redis Streams.")
                      .Register(registry)
                      .Add({})),
        failures(prometheus::BuildCounter()
                     .Name("loyalty_outbox_publish_failures_total")
                     .Help("Failed outbox relay rounds.")
                     .Register(registry)
                     .Add({})),
        lag(prometheus::BuildGauge()
                .Name("loyalty_outbox_lag_seconds")
                .Help("Age of the oldest unpublished event at the last relay round.")
                .Register(registry)
                .Add({})) {}
  prometheus::Counter& published;
  prometheus::Counter& failures;
  prometheus::Gauge& lag;
};

Relay::Relay(pg::Pool& pool, redis::Client& redis, prometheus::Registry& registry,
             RelayOptions options)
    : pool_(pool),
      redis_(redis),
      options_(options),
      metrics_(std::make_unique<Metrics>(registry)) {}

Relay::~Relay() = default;

absl::StatusOr<int> Relay::PublishBatch() {
  int published = 0;
  double lag_seconds = 0;
  absl::Status relay_failure;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    published = 0;
    // SKIP LOCKED lets several replicas relay side by side without
    // publishing the same row twice in the normal case.
    pqxx::result rows = tx.exec_params(
        "SELECT id, event_id, stream, event_type, program_id, payload,"
        "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
        "       extract(epoch FROM now() - created_at)::float8"
        " FROM outbox WHERE published_at IS NULL ORDER BY id"
        " LIMIT $1 FOR UPDATE SKIP LOCKED",
        options_.batch_size);
    if (rows.empty()) return absl::OkStatus();
    lag_seconds = rows[0][7].as<double>();
    std::vector<std::vector<std::string>> commands;
    commands.reserve(rows.size());
    for (const auto& row : rows) {
      commands.push_back({"XADD", row[2].as<std::string>(), "MAXLEN", "~",
                          absl::StrCat(options_.stream_max_length), "*", "event_id",
                          row[1].as<std::string>(), "type", row[3].as<std::string>(),
                          "program_id", row[4].as<std::string>(), "payload",
                          row[5].as<std::string>(), "occurred_at", row[6].as<std::string>()});
    }
    std::vector<absl::StatusOr<redis::Reply>> replies = redis_.Pipeline(commands);
    // Every row Redis took counts as published. After a failed row the
    // others went out anyway (one round trip), so the failed one will
    // follow them: consumers deduplicate by event id, not by order.
    std::vector<int64_t> ids;
    absl::Status failure;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!replies[i].ok()) {
        if (failure.ok()) failure = replies[i].status();
        continue;
      }
      ids.push_back(rows[i][0].as<int64_t>());
    }
    if (ids.empty()) return failure;
    pg::ExecPrepared(tx, "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                     pg::IntArray(ids));
    published = static_cast<int>(ids.size());
    relay_failure = failure;
    return absl::OkStatus();
  });
  if (status.ok()) status = relay_failure;
  metrics_->published.Increment(published);
  if (!status.ok()) {
    metrics_->failures.Increment();
    return status;
  }
  metrics_->lag.Set(lag_seconds);
  return published;
}

absl::StatusOr<int> Relay::PruneOnce() {
  int deleted = 0;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // The oldest rows by id are the oldest published ones: look at no
    // more than `prune_limit` of them (a primary-key range), so a round
    // with nothing to delete costs next to nothing.
    deleted = static_cast<int>(
        pg::ExecPrepared(tx,
                         "DELETE FROM outbox WHERE id IN"
                         " (SELECT id FROM (SELECT id, published_at FROM outbox"
                         "                  ORDER BY id LIMIT $2) AS oldest"
                         "  WHERE published_at < now() - make_interval(secs => $1::float8))",
                         absl::ToDoubleSeconds(options_.retention), options_.prune_limit)
            .affected_rows());
    return absl::OkStatus();
  }));
  return deleted;
}

void Relay::Run(std::stop_token stop) {
  absl::Duration backoff = options_.idle_poll;
  absl::Time next_prune = absl::Now();
  while (!stop.stop_requested()) {
    if (absl::Now() >= next_prune) {
      next_prune = absl::Now() + options_.prune_interval;
      absl::StatusOr<int> pruned = PruneOnce();
      // A backlog goes `prune_limit` rows a round, so publishing never
      // waits behind it.
      if (!pruned.ok()) log::Warn("outbox prune failed", {{"error", pruned.status().message()}});
    }
    absl::StatusOr<int> published = PublishBatch();
    if (published.ok() && *published > 0) {
      backoff = options_.idle_poll;
      continue;  // more may be waiting
    }
    if (!published.ok()) {
      log::Warn("outbox relay round failed", {{"error", published.status().message()}});
      backoff = std::min(backoff * 2, absl::Seconds(5));
    } else {
      backoff = options_.idle_poll;
    }
    absl::Time until = absl::Now() + backoff;
    while (!stop.stop_requested() && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
}

namespace {

// A handler of single events as a batch handler: stops at the first
// failure, so the entries after it stay pending, untried.
StreamConsumer::BatchHandler OneAtATime(StreamConsumer::Handler handler) {
  return [handler = std::move(handler)](std::span<const StreamEvent> events) {
    std::vector<absl::Status> results;
    for (const StreamEvent& event : events) {
      results.push_back(handler(event));
      if (!results.back().ok()) break;
    }
    return results;
  };
}

// Reads one stream entry ([id, [field, value, ...]]) into `event`; false
// for an entry without fields (one trimmed while pending).
bool ParseEntry(const redis::Reply& entry, StreamEvent& event) {
  if (entry.elements.size() < 2 || entry.elements[1].type != redis::Reply::Type::kArray) {
    return false;
  }
  event.entry_id = entry.elements[0].text;
  const auto& fields = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& key = fields[i].text;
    const std::string& value = fields[i + 1].text;
    if (key == "event_id")
      event.event_id = value;
    else if (key == "type")
      event.type = value;
    else if (key == "program_id")
      event.program_id = value;
    else if (key == "payload")
      event.payload = value;
    else if (key == "occurred_at")
      event.occurred_at = value;
  }
  return true;
}

// Polls until stop is requested, backing off (100 ms doubling to 5 s)
// while rounds fail.
void PollUntilStopped(std::stop_token stop, absl::string_view stream,
                      const std::function<absl::StatusOr<int>()>& poll) {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop.stop_requested()) {
    absl::StatusOr<int> handled = poll();
    if (handled.ok()) {
      backoff = absl::Milliseconds(100);
      continue;
    }
    log::Warn("stream consumer round failed",
              {{"stream", stream}, {"error", handled.status().message()}});
    absl::Time until = absl::Now() + backoff;
    while (!stop.stop_requested() && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace

StreamConsumer::StreamConsumer(redis::Client& redis, std::string stream, std::string group,
                               std::string consumer, Handler handler, int max_attempts)
    : StreamConsumer(redis, std::move(stream), std::move(group), std::move(consumer),
                     OneAtATime(std::move(handler)), max_attempts) {}

StreamConsumer::StreamConsumer(redis::Client& redis, std::string stream, std::string group,
                               std::string consumer, BatchHandler handler, int max_attempts)
    : redis_(redis),
      stream_(std::move(stream)),
      group_(std::move(group)),
      consumer_(std::move(consumer)),
      handler_(std::move(handler)),
      max_attempts_(max_attempts) {}

absl::Status StreamConsumer::DeadLetter(const StreamEvent& event, const absl::Status& error) {
  absl::StatusOr<redis::Reply> moved = redis_.Command(
      {"XADD", absl::StrCat(stream_, ".dead"), "*", "group", group_, "entry_id", event.entry_id,
       "event_id", event.event_id, "type", event.type, "program_id", event.program_id, "payload",
       event.payload, "occurred_at", event.occurred_at, "error", std::string(error.message())});
  if (!moved.ok()) return moved.status();
  log::Error("event moved to the dead-letter stream", {{"stream", stream_},
                                                       {"group", group_},
                                                       {"event_id", event.event_id},
                                                       {"type", event.type},
                                                       {"error", error.message()}});
  return absl::OkStatus();
}

absl::Status StreamConsumer::EnsureGroup() {
  if (group_ready_) return absl::OkStatus();
  absl::StatusOr<redis::Reply> reply =
      redis_.Command({"XGROUP", "CREATE", stream_, group_, "0", "MKSTREAM"});
  if (!reply.ok() && reply.status().message().find("BUSYGROUP") == absl::string_view::npos) {
    return reply.status();
  }
  group_ready_ = true;
  return absl::OkStatus();
}

absl::StatusOr<int> StreamConsumer::ReadAndHandle(const std::string& from, absl::Duration block) {
  std::vector<std::string> args = {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", "100"};
  if (from == ">" && block > absl::ZeroDuration()) {
    args.push_back("BLOCK");
    args.push_back(absl::StrCat(absl::ToInt64Milliseconds(block)));
  }
  args.insert(args.end(), {"STREAMS", stream_, from});
  absl::StatusOr<redis::Reply> reply = redis_.Command(args);
  if (!reply.ok()) {
    // The group vanishes when Redis loses its data; recreate it next round.
    if (reply.status().message().find("NOGROUP") != absl::string_view::npos) {
      group_ready_ = false;
    }
    return reply.status();
  }
  if (reply->type != redis::Reply::Type::kArray || reply->elements.empty()) return 0;
  const redis::Reply& entries = reply->elements[0].elements.at(1);
  std::vector<StreamEvent> events;
  int trimmed = 0;
  std::vector<std::string> ack = {"XACK", stream_, group_};
  const size_t ack_header = ack.size();
  for (const redis::Reply& entry : entries.elements) {
    if (entry.elements.empty()) continue;
    StreamEvent event;
    if (!ParseEntry(entry, event)) {
      // Trimmed from the stream while pending: nothing left to handle.
      ack.push_back(entry.elements[0].text);
      ++trimmed;
      continue;
    }
    events.push_back(std::move(event));
  }
  std::vector<absl::Status> results;
  if (!events.empty()) results = handler_(events);
  const size_t answered = std::min(results.size(), events.size());
  // Entries the handler left untried stay pending; read them again next.
  if (answered < events.size()) pending_drained_ = false;
  absl::Status unresolved;  // the first failure, unless dead-lettered
  bool failure_seen = false;
  for (size_t i = 0; i < answered; ++i) {
    if (!results[i].ok()) {
      if (failure_seen) {  // redelivered; counted when it comes first
        pending_drained_ = false;
        continue;
      }
      failure_seen = true;
      const StreamEvent& event = events[i];
      failures_ = failing_entry_ == event.entry_id ? failures_ + 1 : 1;
      failing_entry_ = event.entry_id;
      if (failures_ < max_attempts_) {  // left pending; redelivered later
        unresolved = results[i];
        continue;
      }
      if (absl::Status moved = DeadLetter(event, results[i]); !moved.ok()) return moved;
    }
    ack.push_back(events[i].entry_id);
  }
  if (ack.size() > ack_header) {
    absl::StatusOr<redis::Reply> acked = redis_.Command(ack);
    if (!acked.ok()) return acked.status();
  }
  if (!unresolved.ok()) return unresolved;
  return static_cast<int>(answered) + trimmed;
}

absl::StatusOr<int> StreamConsumer::PollOnce(absl::Duration block) {
  if (absl::Status status = EnsureGroup(); !status.ok()) return status;
  if (!pending_drained_) {
    // Entries delivered to this consumer before a crash (or left pending by
    // a failure) and never acked. Drained once a read finds none and
    // leaves none behind (ReadAndHandle clears the flag when it does).
    pending_drained_ = true;
    absl::StatusOr<int> pending = ReadAndHandle("0", absl::ZeroDuration());
    if (!pending.ok()) {
      pending_drained_ = false;
      return pending.status();
    }
    if (*pending > 0 || !pending_drained_) return pending;
  }
  absl::StatusOr<int> handled = ReadAndHandle(">", block);
  if (!handled.ok()) pending_drained_ = false;
  return handled;
}

void StreamConsumer::Run(std::stop_token stop) {
  PollUntilStopped(stop, stream_, [this] { return PollOnce(absl::Milliseconds(500)); });
}

StreamFollower::StreamFollower(redis::Client& redis, std::string stream,
                               StreamConsumer::Handler handler, int max_attempts)
    : redis_(redis),
      stream_(std::move(stream)),
      handler_(std::move(handler)),
      max_attempts_(max_attempts) {}

absl::Status StreamFollower::Start() {
  absl::StatusOr<redis::Reply> last = redis_.Command({"XREVRANGE", stream_, "+", "-", "COUNT", "1"});
  if (!last.ok()) return last.status();
  last_id_ = last->elements.empty() ? "0-0" : last->elements[0].elements.at(0).text;
  return absl::OkStatus();
}

absl::StatusOr<int> StreamFollower::PollOnce(absl::Duration block) {
  if (last_id_.empty()) {
    if (absl::Status started = Start(); !started.ok()) return started;
  }
  std::vector<std::string> args = {"XREAD", "COUNT", "100"};
  if (block > absl::ZeroDuration()) {
    args.push_back("BLOCK");
    args.push_back(absl::StrCat(absl::ToInt64Milliseconds(block)));
  }
  args.insert(args.end(), {"STREAMS", stream_, last_id_});
  absl::StatusOr<redis::Reply> reply = redis_.Command(args);
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kArray || reply->elements.empty()) return 0;
  int handled = 0;
  for (const redis::Reply& entry : reply->elements[0].elements.at(1).elements) {
    StreamEvent event;
    if (!ParseEntry(entry, event)) continue;
    if (absl::Status status = handler_(event); !status.ok()) {
      if (++failures_ < max_attempts_) return status;  // this entry again next round
      log::Error("stream event skipped after failing repeatedly",
                 {{"stream", stream_},
                  {"event_id", event.event_id},
                  {"type", event.type},
                  {"error", status.message()}});
    } else {
      ++handled;
    }
    failures_ = 0;
    last_id_ = event.entry_id;
  }
  return handled;
}

void StreamFollower::Run(std::stop_token stop) {
  PollUntilStopped(stop, stream_, [this] { return PollOnce(absl::Milliseconds(500)); });
}

}  // namespace loyalty::outbox
