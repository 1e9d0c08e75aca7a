#include "libs/pg/pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"

namespace loyalty::pg {
namespace {

template <typename Transaction>
absl::Status RunIn(pqxx::connection_base& connection,
                   absl::FunctionRef<absl::Status(Tx&)> body) {
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
    bool ready = available_.wait_for(
        lock, absl::ToChronoMilliseconds(options_.acquire_timeout),
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
  }
  available_.notify_one();
}

absl::Status Pool::Transact(absl::FunctionRef<absl::Status(Tx&)> body,
                            Isolation isolation) {
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
      Release(std::move(connection), true);
      return absl::AlreadyExistsError(e.what());
    } catch (const pqxx::sql_error& e) {
      // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
      // now, 08xxx connection exceptions: the server is going away.
      std::string state = e.sqlstate();
      if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) {
        healthy = false;
        last = absl::UnavailableError(absl::StrCat("database unavailable: ", e.what()));
      } else {
        bool open = connection->db.is_open();
        Release(std::move(connection), open);
        log::Error("sql error", {{"sqlstate", state}, {"error", e.what()}});
        return absl::InternalError(absl::StrCat("database error ", state));
      }
    } catch (const std::exception& e) {
      Release(std::move(connection), false);
      log::Error("database failure", {{"error", e.what()}});
      return absl::InternalError("database failure");
    }
    Release(std::move(connection), healthy);
    if (last.code() == absl::StatusCode::kUnavailable) return last;
  }
  return last;
}

absl::Status Pool::Ping() {
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
