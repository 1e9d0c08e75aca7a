// The points ledger through the cards service's gRPC API, under load and
// faults. Many callers at once on a few cards accrue, hold, post, void,
// refund and repeat themselves: the same id with the same content must have
// one effect and return the first result, the same id with other content
// must be ALREADY_EXISTS. Callers retry UNAVAILABLE, DEADLINE_EXCEEDED and
// ABORTED with the same request until the answer is definite, which is the
// exactly-once contract. Mid-load the cards process may be SIGKILLed and
// restarted, or PostgreSQL stopped and restarted.
//
// Afterwards every definite answer the callers got (the journal) is
// compared with what the database kept: the same transfers and holds, no
// more and no fewer, with the acknowledged amounts; each card's balance is
// what the journal implies; each hold was resolved at most once; and the
// ledger's own invariants (FindLedgerInvariantViolations) hold.

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/channel.h"
#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "loyalty/cards/v1/ledger_service.grpc.pb.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"
#include "services/cards/storage/ledger_invariants.h"
#include "tests/e2e/stack.h"

namespace loyalty::e2e {
namespace {

namespace v1 = ::loyalty::cards::v1;

constexpr int kWorkers = 16;
constexpr int kOpsPerWorker = 80;
constexpr int kCards = 4;
// Ids per kind of operation: few, so that callers collide on them often.
constexpr int kIds = 64;
// How long one operation may take to get a definite answer, outages
// included.
constexpr absl::Duration kOperationDeadline = absl::Seconds(90);
constexpr absl::Duration kAttemptDeadline = absl::Seconds(5);

enum class Fault { kNone, kKillCards, kRestartPostgres };

std::string FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "NoFault";
    case Fault::kKillCards:
      return "CardsKilled";
    case Fault::kRestartPostgres:
      return "PostgresRestarted";
  }
  return "Unknown";
}

// "ACCRUAL" for TRANSFER_KIND_ACCRUAL: the name the ledger stores.
std::string StoredKind(v1::TransferKind kind) {
  return std::string(absl::StripPrefix(v1::TransferKind_Name(kind), "TRANSFER_KIND_"));
}

// What a transfer does to its card's balance, per point moved.
int64_t MemberSign(v1::TransferKind kind) {
  return kind == v1::TRANSFER_KIND_ACCRUAL || kind == v1::TRANSFER_KIND_REDEMPTION_REVERSAL ? 1
                                                                                            : -1;
}

int64_t Micros(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1000000 + time.nanos() / 1000;
}

// Content is a function of the id everywhere below, so the same id sent by
// two callers is a true duplicate.
v1::TransferSpec Spec(const std::string& id, v1::TransferKind kind, const std::string& card,
                      int64_t amount, const std::string& hold_id = "",
                      const std::string& reference = "") {
  v1::TransferSpec spec;
  spec.set_transfer_id(id);
  spec.set_kind(kind);
  spec.set_card_number(card);
  spec.set_amount(amount);
  spec.set_hold_id(hold_id);
  spec.set_reference(reference);
  return spec;
}

v1::HoldPointsRequest HoldRequest(const std::string& id, const std::string& card, int64_t amount) {
  v1::HoldPointsRequest request;
  request.set_hold_id(id);
  request.set_card_number(card);
  request.set_amount(amount);
  request.set_ttl_seconds(3600);  // never lapses during the test
  return request;
}

// Every definite answer the callers got, and every answer that broke the
// contract.
class Journal final {
 public:
  struct AckedTransfer {
    v1::TransferSpec spec;
    int64_t amount = 0;  // moved, as first acknowledged
    int64_t create_micros = 0;
  };
  struct HoldFate {
    v1::HoldPointsRequest request;
    std::string posted_by;  // transfer id of an acknowledged posting
    bool voided = false;    // a VoidHold answered VOIDED
  };

  // An OK result of CommitTransfers; a repeat must match the first answer.
  void TransferAcknowledged(const v1::TransferSpec& spec, const v1::TransferResult& result) {
    absl::MutexLock lock(&mutex_);
    ++acknowledged_;
    auto [it, inserted] = transfers_.try_emplace(spec.transfer_id());
    if (!inserted) {
      ++replays_;
      if (it->second.amount != result.amount() ||
          it->second.create_micros != Micros(result.create_time())) {
        problems_.push_back(absl::StrCat("transfer ", spec.transfer_id(), " answered ",
                                         result.amount(), " at ", Micros(result.create_time()),
                                         ", first ", it->second.amount, " at ",
                                         it->second.create_micros));
      }
      return;
    }
    it->second = {
        .spec = spec, .amount = result.amount(), .create_micros = Micros(result.create_time())};
    transfer_ids_.push_back(spec.transfer_id());
    if (!spec.hold_id().empty()) {
      HoldFate& hold = holds_[spec.hold_id()];
      if (!hold.posted_by.empty() && hold.posted_by != spec.transfer_id()) {
        problems_.push_back(absl::StrCat("hold ", spec.hold_id(), " posted by ", hold.posted_by,
                                         " and ", spec.transfer_id()));
      }
      hold.posted_by = spec.transfer_id();
    }
  }

  // An OK answer of HoldPoints, the hold in whatever state it is now.
  void HoldPlaced(const v1::HoldPointsRequest& request) {
    absl::MutexLock lock(&mutex_);
    ++acknowledged_;
    HoldFate& hold = holds_[request.hold_id()];
    if (hold.request.hold_id().empty()) {
      hold.request = request;
      hold_ids_.push_back(request.hold_id());
    }
  }

  void HoldVoided(const std::string& hold_id) {
    absl::MutexLock lock(&mutex_);
    ++acknowledged_;
    holds_[hold_id].voided = true;
  }

  void Problem(std::string problem) {
    absl::MutexLock lock(&mutex_);
    problems_.push_back(std::move(problem));
  }

  // An acknowledged transfer or hold, for deliberate repeats; nullopt
  // before there is any.
  std::optional<v1::TransferSpec> AnyTransfer(std::mt19937& random) {
    absl::MutexLock lock(&mutex_);
    if (transfer_ids_.empty()) return std::nullopt;
    return transfers_
        .at(transfer_ids_[std::uniform_int_distribution<size_t>(0,
                                                                transfer_ids_.size() - 1)(random)])
        .spec;
  }
  std::optional<v1::HoldPointsRequest> AnyHold(std::mt19937& random) {
    absl::MutexLock lock(&mutex_);
    if (hold_ids_.empty()) return std::nullopt;
    return holds_
        .at(hold_ids_[std::uniform_int_distribution<size_t>(0, hold_ids_.size() - 1)(random)])
        .request;
  }

  int acknowledged() {
    absl::MutexLock lock(&mutex_);
    return acknowledged_;
  }

  // Read once the callers are done.
  const std::map<std::string, AckedTransfer>& transfers() const { return transfers_; }
  const std::map<std::string, HoldFate>& holds() const { return holds_; }
  const std::vector<std::string>& problems() const { return problems_; }
  int replays() const { return replays_; }

 private:
  absl::Mutex mutex_;
  std::map<std::string, AckedTransfer> transfers_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> transfer_ids_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, HoldFate> holds_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> hold_ids_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mutex_);
  int acknowledged_ ABSL_GUARDED_BY(mutex_) = 0;
  int replays_ ABSL_GUARDED_BY(mutex_) = 0;
};

// Answers by code, over all callers.
struct Tally {
  std::atomic<int> retried_attempts{0};  // UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED
  std::atomic<int> already_exists{0};
  std::atomic<int> failed_precondition{0};
};

bool Transient(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::ABORTED;
}

// One caller: a thread's view of the ledger of one program.
class Caller final {
 public:
  Caller(std::shared_ptr<grpc::Channel> channel, std::string program_id, Journal& journal,
         Tally& tally, int seed)
      : stub_(v1::LedgerService::NewStub(std::move(channel))),
        program_id_(std::move(program_id)),
        journal_(journal),
        tally_(tally),
        random_(seed) {}

  void Run(const std::vector<std::string>& cards) {
    for (int op = 0; op < kOpsPerWorker; ++op) {
      const int n = Pick(kIds);
      const std::string& card = cards[n % cards.size()];
      const std::string ref = absl::StrCat("ref-", n);
      switch (Pick(10)) {
        case 0:
        case 1:
          Commit({Spec(absl::StrCat("acc-", n), v1::TRANSFER_KIND_ACCRUAL, card, 20 + n % 30, "",
                       ref)});
          break;
        case 2:
          Commit({Spec(absl::StrCat("red-", n), v1::TRANSFER_KIND_REDEMPTION, card, 5 + n % 20)});
          break;
        case 3:
        case 4:
          HoldThenResolve(n, card);
          break;
        case 5:
          Commit({Spec(absl::StrCat("rev-", n), v1::TRANSFER_KIND_ACCRUAL_REVERSAL, card,
                       15 + n % 20, "", ref)});
          break;
        case 6:
          Commit({Spec(absl::StrCat("rr-", n), v1::TRANSFER_KIND_REDEMPTION_REVERSAL, card,
                       4 + n % 5)});
          break;
        case 7: {
          // Two cards in one request, in either order: all or nothing, and
          // the locks must not deadlock.
          std::vector<v1::TransferSpec> batch = {
              Spec(absl::StrCat("bacc-", n), v1::TRANSFER_KIND_ACCRUAL, card, 7),
              Spec(absl::StrCat("bred-", n), v1::TRANSFER_KIND_REDEMPTION,
                   cards[(n + 1) % cards.size()], 6)};
          if (Pick(2) == 0) std::swap(batch[0], batch[1]);
          Commit(batch);
          break;
        }
        case 8:
          Repeat();
          break;
        case 9:
          Conflict();
          break;
      }
    }
  }

  // Until the answer is definite; the last status when it never is.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (v1::LedgerService::Stub::*method)(grpc::ClientContext*,
                                                                    const Request&, Response*),
                    const Request& request, Response* response) {
    const absl::Time give_up = absl::Now() + kOperationDeadline;
    absl::Duration backoff = absl::Milliseconds(20);
    while (true) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + kAttemptDeadline));
      rpc::WriteCallContext({.program_id = program_id_, .role = "ROLE_ADMIN"}, context);
      grpc::Status status = ((*stub_).*method)(&context, request, response);
      if (!Transient(status.error_code()) || absl::Now() > give_up) return status;
      tally_.retried_attempts++;
      absl::SleepFor(backoff);  // a retry policy, not a wait for a condition
      backoff = std::min(backoff * 2, absl::Milliseconds(300));
    }
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  std::string Describe(const grpc::Status& status, const std::string& what) {
    return absl::StrCat(what, ": code ", status.error_code(), " ", status.error_message());
  }

  // Applies `specs`; OK, or FAILED_PRECONDITION (too few points, hold
  // resolved otherwise) for ordinary operations.
  void Commit(const std::vector<v1::TransferSpec>& specs) {
    v1::CommitTransfersRequest request;
    for (const v1::TransferSpec& spec : specs) *request.add_transfers() = spec;
    v1::CommitTransfersResponse response;
    grpc::Status status = Call(&v1::LedgerService::Stub::CommitTransfers, request, &response);
    if (status.ok()) {
      RecordCommitted(request, response);
    } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      tally_.failed_precondition++;
    } else {
      journal_.Problem(Describe(status, absl::StrCat("commit ", specs[0].transfer_id())));
    }
  }

  void RecordCommitted(const v1::CommitTransfersRequest& request,
                       const v1::CommitTransfersResponse& response) {
    if (response.results_size() != request.transfers_size()) {
      journal_.Problem(absl::StrCat("commit ", request.transfers(0).transfer_id(), ": ",
                                    response.results_size(), " results"));
      return;
    }
    for (int i = 0; i < request.transfers_size(); ++i) {
      if (response.results(i).transfer_id() != request.transfers(i).transfer_id()) {
        journal_.Problem(absl::StrCat("result for ", response.results(i).transfer_id(),
                                      " in place of ", request.transfers(i).transfer_id()));
      }
      journal_.TransferAcknowledged(request.transfers(i), response.results(i));
    }
  }

  void HoldThenResolve(int n, const std::string& card) {
    const v1::HoldPointsRequest request = HoldRequest(absl::StrCat("hold-", n), card, 3 + n % 10);
    v1::Hold hold;
    grpc::Status status = Call(&v1::LedgerService::Stub::HoldPoints, request, &hold);
    if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      tally_.failed_precondition++;  // too few points available
      return;
    }
    if (!status.ok()) {
      journal_.Problem(Describe(status, absl::StrCat("hold ", request.hold_id())));
      return;
    }
    journal_.HoldPlaced(request);
    // Callers racing on the same hold pick their own ending: posts race
    // voids. Some holds stay open.
    const int ending = Pick(10);
    if (ending < 5) {
      Commit({Spec(absl::StrCat("post-", n), v1::TRANSFER_KIND_REDEMPTION, card, request.amount(),
                   request.hold_id())});
    } else if (ending < 9) {
      Void(request.hold_id());
    }
  }

  void Void(const std::string& hold_id) {
    v1::VoidHoldRequest request;
    request.set_hold_id(hold_id);
    v1::Hold hold;
    grpc::Status status = Call(&v1::LedgerService::Stub::VoidHold, request, &hold);
    if (status.ok() && hold.state() == v1::HOLD_STATE_VOIDED) {
      journal_.HoldVoided(hold_id);
    } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      tally_.failed_precondition++;  // posted already
    } else {
      journal_.Problem(Describe(
          status, absl::StrCat("void ", hold_id, " state ", v1::HoldState_Name(hold.state()))));
    }
  }

  // The same request again, as a caller unsure of its first answer would
  // send it: the first result, no second effect.
  void Repeat() {
    if (Pick(3) == 0) {
      std::optional<v1::HoldPointsRequest> request = journal_.AnyHold(random_);
      if (!request) return;
      v1::Hold hold;
      grpc::Status status = Call(&v1::LedgerService::Stub::HoldPoints, *request, &hold);
      if (!status.ok() || hold.amount() != request->amount()) {
        journal_.Problem(Describe(status, absl::StrCat("repeated hold ", request->hold_id())));
      }
      return;
    }
    std::optional<v1::TransferSpec> spec = journal_.AnyTransfer(random_);
    if (!spec) return;
    v1::CommitTransfersRequest request;
    *request.add_transfers() = *spec;
    v1::CommitTransfersResponse response;
    grpc::Status status = Call(&v1::LedgerService::Stub::CommitTransfers, request, &response);
    if (status.ok()) {
      RecordCommitted(request, response);  // which checks it is the first result
    } else {
      journal_.Problem(Describe(status, absl::StrCat("repeated ", spec->transfer_id())));
    }
  }

  // An acknowledged id with other content: ALREADY_EXISTS, nothing else.
  void Conflict() {
    grpc::Status status;
    std::string id;
    if (Pick(3) == 0) {
      std::optional<v1::HoldPointsRequest> request = journal_.AnyHold(random_);
      if (!request) return;
      request->set_amount(request->amount() + 1);
      id = request->hold_id();
      v1::Hold hold;
      status = Call(&v1::LedgerService::Stub::HoldPoints, *request, &hold);
    } else {
      std::optional<v1::TransferSpec> spec = journal_.AnyTransfer(random_);
      if (!spec) return;
      spec->set_amount(spec->amount() + 1);
      id = spec->transfer_id();
      v1::CommitTransfersRequest request;
      *request.add_transfers() = *spec;
      v1::CommitTransfersResponse response;
      status = Call(&v1::LedgerService::Stub::CommitTransfers, request, &response);
    }
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      tally_.already_exists++;
    } else {
      journal_.Problem(Describe(status, absl::StrCat("conflicting reuse of ", id)));
    }
  }

  std::unique_ptr<v1::LedgerService::Stub> stub_;
  const std::string program_id_;
  Journal& journal_;
  Tally& tally_;
  std::mt19937 random_;
};

// Rows of a psql query by their first field, fields split on '|'.
using RowsById = std::map<std::string, std::vector<std::string>>;
RowsById RowsByFirstField(const std::string& output, size_t fields) {
  RowsById rows;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    std::vector<std::string> row = absl::StrSplit(line, '|');
    EXPECT_EQ(row.size(), fields) << line;
    if (row.size() == fields) rows[row[0]] = std::move(row);
  }
  return rows;
}

// Each acknowledged entry has its stored row, which `expect` checks, and no
// stored row lacks an acknowledged entry.
template <typename Entry, typename Expect>
void ExpectStoredAsAcknowledged(const std::string& what,
                                const std::map<std::string, Entry>& acknowledged, RowsById stored,
                                Expect expect) {
  for (const auto& [id, entry] : acknowledged) {
    auto it = stored.find(id);
    if (it == stored.end()) {
      ADD_FAILURE() << "acknowledged " << what << " " << id << " is not stored";
      continue;
    }
    expect(id, entry, it->second);
    stored.erase(it);
  }
  for (const auto& [id, row] : stored) {
    ADD_FAILURE() << "stored " << what << " " << id << " was never acknowledged";
  }
}

int64_t ToInt(const std::string& text) {
  int64_t value = 0;
  EXPECT_TRUE(absl::SimpleAtoi(text, &value)) << text;
  return value;
}

class LedgerLoadTest : public ::testing::TestWithParam<Fault> {
 protected:
  void SetUp() override {
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    program_id_ = stack_->demo().program_id;
  }

  grpc::ClientContext* Context(grpc::ClientContext& context) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    rpc::WriteCallContext({.program_id = program_id_, .role = "ROLE_ADMIN"}, context);
    return &context;
  }

  // A client registered with identity and a card issued to it.
  std::string NewCard() {
    auto identity =
        identity::v1::IdentityService::NewStub(rpc::DialService(stack_->GrpcAddress("identity")));
    identity::v1::RegisterClientRequest client_request;
    client_request.mutable_client()->set_first_name("Load");
    client_request.mutable_client()->set_phone("+7903" + UniqueDigits(7));
    identity::v1::Client client;
    grpc::ClientContext client_context;
    grpc::Status status =
        identity->RegisterClient(Context(client_context), client_request, &client);
    EXPECT_TRUE(status.ok()) << status.error_message();

    auto cards = v1::CardsService::NewStub(rpc::DialService(stack_->GrpcAddress("cards")));
    v1::IssueCardRequest card_request;
    card_request.set_client_id(client.client_id());
    v1::Card card;
    grpc::ClientContext card_context;
    status = cards->IssueCard(Context(card_context), card_request, &card);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return card.number();
  }

  // Polls until the callers have `count` definite answers.
  void AwaitAcknowledged(Journal& journal, int count) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (journal.acknowledged() < count && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  void InjectFault(Fault fault, Journal& journal, Tally& tally) {
    if (fault == Fault::kNone) return;
    AwaitAcknowledged(journal, kWorkers * kOpsPerWorker / 4);
    if (fault == Fault::kKillCards) {
      ASSERT_TRUE(stack_->StopService("cards", /*crash=*/true).ok());
      ASSERT_TRUE(stack_->StartService("cards").ok());
      return;
    }
    ASSERT_TRUE(stack_->postgres().Stop().ok());
    // Down until callers have noticed, so that calls really fail meanwhile.
    const int before = tally.retried_attempts;
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (tally.retried_attempts < before + kWorkers && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(stack_->postgres().Restart().ok());
  }

  std::string Sql(const std::string& query) {
    absl::StatusOr<std::string> out = stack_->postgres().Query(query);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  // The database kept exactly the acknowledged transfers.
  void ExpectTransfersAsAcknowledged(const Journal& journal) {
    RowsById stored = RowsByFirstField(
        Sql(absl::StrCat("SELECT transfer_id, kind, card_number, requested_amount, amount,"
                         "       COALESCE(hold_id, ''), cards.ts_to_micros(created_at)"
                         " FROM cards.transfers WHERE program_id = '",
                         program_id_, "'")),
        7);
    auto check = [](const std::string& id, const Journal::AckedTransfer& transfer,
                    const std::vector<std::string>& row) {
      EXPECT_EQ(row[1], StoredKind(transfer.spec.kind())) << id;
      EXPECT_EQ(row[2], transfer.spec.card_number()) << id;
      EXPECT_EQ(ToInt(row[3]), transfer.spec.amount()) << id;
      EXPECT_EQ(ToInt(row[4]), transfer.amount) << id;
      EXPECT_EQ(row[5], transfer.spec.hold_id()) << id;
      EXPECT_EQ(ToInt(row[6]), transfer.create_micros) << id;
    };
    ExpectStoredAsAcknowledged("transfer", journal.transfers(), std::move(stored), check);
  }

  // The database kept exactly the acknowledged holds, each resolved as
  // acknowledged and at most once.
  void ExpectHoldsAsAcknowledged(const Journal& journal) {
    RowsById stored = RowsByFirstField(
        Sql(absl::StrCat(
            "SELECT hold_id, card_number, amount, state, COALESCE(posted_transfer_id, '')"
            " FROM cards.holds WHERE program_id = '",
            program_id_, "'")),
        5);
    auto check = [](const std::string& id, const Journal::HoldFate& hold,
                    const std::vector<std::string>& row) {
      EXPECT_FALSE(!hold.posted_by.empty() && hold.voided)
          << "hold " << id << " posted by " << hold.posted_by << " and voided";
      EXPECT_EQ(row[1], hold.request.card_number()) << id;
      EXPECT_EQ(ToInt(row[2]), hold.request.amount()) << id;
      const std::string state = !hold.posted_by.empty() ? "POSTED"
                                : hold.voided           ? "VOIDED"
                                                        : "HELD";
      EXPECT_EQ(row[3], state) << id;
      EXPECT_EQ(row[4], hold.posted_by) << id;
    };
    ExpectStoredAsAcknowledged("hold", journal.holds(), std::move(stored), check);
  }

  // Balances read through the API are what the journal implies.
  void ExpectBalancesAsAcknowledged(const Journal& journal, const std::vector<std::string>& cards) {
    std::map<std::string, int64_t> total;
    std::map<std::string, int64_t> held;
    for (const auto& [id, transfer] : journal.transfers()) {
      total[transfer.spec.card_number()] += MemberSign(transfer.spec.kind()) * transfer.amount;
    }
    for (const auto& [id, hold] : journal.holds()) {
      if (hold.posted_by.empty() && !hold.voided) {
        held[hold.request.card_number()] += hold.request.amount();
      }
    }
    auto ledger = v1::LedgerService::NewStub(rpc::DialService(stack_->GrpcAddress("cards")));
    for (const std::string& card : cards) {
      v1::GetBalanceRequest request;
      request.set_card_number(card);
      v1::Balance balance;
      grpc::ClientContext context;
      grpc::Status status = ledger->GetBalance(Context(context), request, &balance);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(balance.active() + balance.pending(), total[card]) << card;
      EXPECT_EQ(balance.held(), held[card]) << card;
      EXPECT_EQ(balance.available(), balance.active() - balance.held()) << card;
      EXPECT_GE(balance.available(), 0) << card;
    }
  }

  std::unique_ptr<Stack> stack_;
  std::string program_id_;
};

TEST_P(LedgerLoadTest, CallersAnswersMatchTheLedger) {
  const Fault fault = GetParam();
  std::vector<std::string> cards;
  for (int i = 0; i < kCards; ++i) cards.push_back(NewCard());
  ASSERT_FALSE(HasFailure());

  Journal journal;
  Tally tally;
  // One channel per caller, as separate tills would have.
  std::vector<std::unique_ptr<Caller>> callers;
  for (int i = 0; i < kWorkers; ++i) {
    callers.push_back(std::make_unique<Caller>(rpc::DialService(stack_->GrpcAddress("cards")),
                                               program_id_, journal, tally,
                                               1000 * static_cast<int>(fault) + i));
  }
  // Every card starts with points to spend.
  for (int i = 0; i < kCards; ++i) {
    v1::CommitTransfersRequest request;
    *request.add_transfers() =
        Spec(absl::StrCat("seed-", i), v1::TRANSFER_KIND_ACCRUAL, cards[i], 300);
    v1::CommitTransfersResponse response;
    grpc::Status status =
        callers[0]->Call(&v1::LedgerService::Stub::CommitTransfers, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    journal.TransferAcknowledged(request.transfers(0), response.results(0));
  }

  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (auto& caller : callers) {
    threads.emplace_back([&caller, &cards] { caller->Run(cards); });
  }
  // From this thread: the stack's children die with the thread that
  // started them.
  InjectFault(fault, journal, tally);
  for (std::thread& thread : threads) thread.join();
  const absl::Duration load_time = absl::Now() - start;

  RecordProperty("acknowledged", journal.acknowledged());
  RecordProperty("replays", journal.replays());
  RecordProperty("retried_attempts", tally.retried_attempts.load());
  RecordProperty("already_exists", tally.already_exists.load());
  RecordProperty("failed_precondition", tally.failed_precondition.load());
  std::cout << FaultName(fault) << ": " << journal.acknowledged() << " definite answers ("
            << journal.transfers().size() << " transfers, " << journal.holds().size() << " holds, "
            << journal.replays() << " replays), " << tally.already_exists << " ALREADY_EXISTS, "
            << tally.failed_precondition << " FAILED_PRECONDITION, " << tally.retried_attempts
            << " attempts retried, in " << load_time << "\n";

  EXPECT_TRUE(journal.problems().empty()) << absl::StrJoin(journal.problems(), "\n");
  // The load did what it is for.
  EXPECT_GT(journal.acknowledged(), kWorkers * kOpsPerWorker / 2);
  EXPECT_GT(journal.replays(), 0);
  EXPECT_GT(tally.already_exists, 0);
  EXPECT_GT(tally.failed_precondition, 0);
  if (fault != Fault::kNone) {
    EXPECT_GT(tally.retried_attempts, 0) << "the fault went unnoticed";
  }

  ExpectTransfersAsAcknowledged(journal);
  ExpectHoldsAsAcknowledged(journal);
  ExpectBalancesAsAcknowledged(journal, cards);
  auto violations = cards::FindLedgerInvariantViolations(stack_->postgres().ConnectionString(),
                                                         "cards", {.check_events = true});
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");
  if (HasFailure()) std::cout << "--- cards log:\n" << stack_->LogTail("cards") << "\n";
}

INSTANTIATE_TEST_SUITE_P(Faults, LedgerLoadTest,
                         ::testing::Values(Fault::kNone, Fault::kKillCards,
                                           Fault::kRestartPostgres),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return FaultName(info.param);
                         });

}  // namespace
}  // namespace loyalty::e2e
