#include "libs/pg/pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/log.h"

namespace loyalty::pg {
namespace {

template <typename Transaction>
absl::Status RunIn(pqxx::connection_base& connection, absl::FunctionRef<absl::Status(Tx&)> body) {
  Transaction tx(connection);
  absl::Status status = body(tx);
  if (status.ok()) tx.commit();
  // Without commit the transaction's destructor rolls back.
  return status;
}

}  // namespace

struct Pool::Connection {
  explicit Connection(const std::string& conninfo) : db(conninfo) {}
  pqxx::connection db;
};

Pool::Pool(PoolOptions options) : options_(std::move(options)) {}

Pool::~Pool() = default;

absl::Status Pool::Acquire(std::unique_ptr<Connection>& out) {
  {
    std::unique_lock lock(mutex_);
    bool ready = available_.wait_for(lock, absl::ToChronoMilliseconds(options_.acquire_timeout),
                                     [this] { return !idle_.empty() || open_ < options_.size; });
    if (!ready) {
      return absl::UnavailableError("database connection pool exhausted");
    }
    if (!idle_.empty()) {
      out = std::move(idle_.back());
      idle_.pop_back();
      return absl::OkStatus();
    }
    ++open_;  // reserve a slot, connect outside the lock
  }
  try {
    auto connection = std::make_unique<Connection>(options_.conninfo);
    if (!options_.schema.empty()) {
      pqxx::nontransaction setup(connection->db);
      setup.exec0("SET search_path TO " + setup.quote_name(options_.schema));
    }
    if (options_.on_connect) options_.on_connect(connection->db);
    out = std::move(connection);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
    return absl::UnavailableError(absl::StrCat("cannot connect to database: ", e.what()));
  }
}

void Pool::Release(std::unique_ptr<Connection> connection, bool healthy) {
  std::lock_guard lock(mutex_);
  if (healthy && connection && connection->db.is_open()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
    // A connection lost to a server restart means its idle siblings are
    // dead too; dropping them spares the next callers one failure each.
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
    available_.notify_all();  // several slots freed at once
    return;
  }
  available_.notify_one();
}

absl::Status Pool::Transact(absl::FunctionRef<absl::Status(Tx&)> body, Isolation isolation) {
  absl::Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    std::unique_ptr<Connection> connection;
    if (absl::Status status = Acquire(connection); !status.ok()) return status;
    bool healthy = true;
    try {
      switch (isolation) {
        case Isolation::kReadCommitted:
          last = RunIn<pqxx::work>(connection->db, body);
          break;
        case Isolation::kRepeatableRead:
          last = RunIn<pqxx::transaction<pqxx::repeatable_read>>(connection->db, body);
          break;
        case Isolation::kSerializable:
          last = RunIn<pqxx::transaction<pqxx::serializable>>(connection->db, body);
          break;
        case Isolation::kAutocommit:
          last = RunIn<pqxx::nontransaction>(connection->db, body);
          break;
      }
      Release(std::move(connection), true);
      return last;
    } catch (const pqxx::in_doubt_error& e) {
      healthy = false;
      last = absl::UnavailableError(
          absl::StrCat("database connection lost during commit: ", e.what()));
    } catch (const pqxx::broken_connection& e) {
      healthy = false;
      last = absl::UnavailableError(absl::StrCat("database unavailable: ", e.what()));
    } catch (const pqxx::serialization_failure& e) {
      last = absl::AbortedError(absl::StrCat("serialization failure: ", e.what()));
    } catch (const pqxx::deadlock_detected& e) {
      last = absl::AbortedError(absl::StrCat("deadlock: ", e.what()));
    } catch (const pqxx::unique_violation& e) {
      // Storage code turns the violations it expects into field errors;
      // one that reaches here is usually a lost race, which the caller may
      // resolve by running its transaction again. The SQL detail (names,
      // key values) stays in the log.
      Release(std::move(connection), true);
      log::Info("unique violation", {{"error", e.what()}});
      return absl::AlreadyExistsError("conflicts with an existing record");
    } catch (const pqxx::sql_error& e) {
      std::string state = e.sqlstate();
      if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0 || state.rfind("53", 0) == 0 ||
          state == "57014" || state == "55P03") {
        // Server going away (57P0x, 08xxx), out of resources (53xxx), a
        // statement or lock timeout: worth retrying later.
        healthy = state.rfind("57P", 0) != 0 && state.rfind("08", 0) != 0;
        last = absl::UnavailableError(absl::StrCat("database unavailable (", state, ")"));
        log::Warn("database unavailable", {{"sqlstate", state}, {"error", e.what()}});
      } else {
        bool open = connection->db.is_open();
        Release(std::move(connection), open);
        if (state == "22P02") {
          // Malformed text for a typed column, e.g. an id that is no UUID.
          return absl::InvalidArgumentError("malformed identifier");
        }
        log::Error("sql error", {{"sqlstate", state}, {"error", e.what()}});
        return absl::InternalError(absl::StrCat("database error ", state));
      }
    } catch (const std::exception& e) {
      // Not a database error (a conversion, an encoding bug): the
      // connection itself is fine unless libpqxx says otherwise.
      bool open = connection->db.is_open();
      Release(std::move(connection), open);
      log::Error("database failure", {{"error", e.what()}});
      return absl::InternalError("database failure");
    }
    Release(std::move(connection), healthy);
    if (last.code() == absl::StatusCode::kUnavailable) return last;
  }
  return last;
}

absl::Status Pool::TransactIdempotent(absl::FunctionRef<absl::Status(Tx&)> body) {
  // A raw unique violation surfaces as ALREADY_EXISTS without a field;
  // storage code names the field for the conflicts it reports itself.
  auto lost_race = [](const absl::Status& status) {
    return absl::IsAlreadyExists(status) && !ViolatedField(status);
  };
  absl::Status status = Transact(body);
  if (!lost_race(status)) return status;
  status = Transact(body);
  if (lost_race(status)) {
    return absl::AbortedError("a concurrent request changed the same record; retry");
  }
  return status;
}

absl::Status Pool::Ping() {
  {
    // Every connection busy means the database answers; a health probe
    // must not queue behind request traffic or call a busy pod unhealthy.
    std::lock_guard lock(mutex_);
    if (idle_.empty() && open_ >= options_.size) return absl::OkStatus();
  }
  return Transact([](Tx& tx) {
    tx.exec1("SELECT 1");
    return absl::OkStatus();
  });
}

bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kAborted;
}

}  // namespace loyalty::pg
