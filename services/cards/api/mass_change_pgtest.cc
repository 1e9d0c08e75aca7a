// CRD-4 mass change of cards through the operation runner against a real
// PostgreSQL: per-card results, points applied once even when a chunk is
// redone, statuses, templates and levels through the single-card paths,
// tags on the cards' holders (identity stood in for by an in-memory fake;
// tags_e2etest and mass_change_e2etest go through the real one).

#include <map>
#include <memory>
#include <set>

#include "gtest/gtest.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operation_store.h"
#include "libs/operations/runner.h"
#include "prometheus/registry.h"
#include "services/cards/api/mass_change.h"
#include "services/cards/testing/levels_fixture.h"

namespace loyalty::cards::testing {
namespace {

// Identity's tags as the handler sees them: which tags exist, which
// clients exist, who has which tag; can be made unreachable.
class FakeClientTags final : public ClientTags {
 public:
  absl::Status CheckTag(const rpc::CallContext&, absl::string_view tag_id) override {
    return tags.contains(std::string(tag_id)) ? absl::OkStatus() : absl::NotFoundError("no tag");
  }
  absl::StatusOr<std::vector<std::string>> ChangeTag(const rpc::CallContext& call,
                                                     absl::string_view tag_id,
                                                     const std::vector<std::string>& client_ids,
                                                     bool remove) override {
    programs.insert(call.program_id);
    if (unavailable) return absl::UnavailableError("identity is restarting");
    if (!tags.contains(std::string(tag_id))) return absl::NotFoundError("no tag");
    std::vector<std::string> unknown;
    for (const std::string& id : client_ids) {
      if (unknown_clients.contains(id)) {
        unknown.push_back(id);
      } else if (remove) {
        tagged[std::string(tag_id)].erase(id);
      } else {
        tagged[std::string(tag_id)].insert(id);
      }
    }
    return unknown;
  }

  std::set<std::string> tags;
  std::set<std::string> unknown_clients;
  std::map<std::string, std::set<std::string>> tagged;
  std::set<std::string> programs;
  bool unavailable = false;
};

class MassChangePgTest : public LevelsPgTest {
 protected:
  void SetUp() override {
    LevelsPgTest::SetUp();
    if (HasFatalFailure()) return;
    operations_ = std::make_unique<operations::OperationStore>(*pool_, "cards");
    handler_ =
        std::make_unique<MassChangeHandler>(MassChangeHandler::Deps{.cards = *cards_,
                                                                    .card_levels = *card_levels_,
                                                                    .bonuses = *bonuses_,
                                                                    .ledger = *ledger_,
                                                                    .metrics = ledger_metrics_,
                                                                    .tags = tags_});
    runner_ = std::make_unique<operations::OperationRunner>(
        *operations_, operation_metrics_, operations::RunnerOptions{.chunk_size = 4});
    runner_->Register(kMassChangeKind, *handler_);
  }

  // Starts a mass change as StartMassChange does and runs it to the end.
  operations::Operation Run(const std::vector<std::string>& numbers, v1::MassChange change,
                            std::string request_id = NewUuid(),
                            operations::OperationState expected =
                                operations::OperationState::kSucceeded) {
    v1::StartMassChangeRequest request;
    request.set_request_id(request_id);
    for (const std::string& number : numbers) request.add_card_numbers(number);
    *request.mutable_change() = std::move(change);
    absl::StatusOr<operations::NewOperation> op = MassChangeOperation(request, "key-7");
    EXPECT_TRUE(op.ok()) << op.status();
    absl::StatusOr<operations::Operation> created = operations_->Create(program_, *op);
    EXPECT_TRUE(created.ok()) << created.status();
    Drain();
    absl::StatusOr<operations::Operation> done = operations_->Get(program_, created->id);
    EXPECT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->state, expected) << done->error;
    return *done;
  }

  void Drain() {
    for (;;) {
      absl::StatusOr<bool> worked = runner_->RunOnce();
      ASSERT_TRUE(worked.ok()) << worked.status();
      if (!*worked) return;
    }
  }

  std::vector<operations::ItemResult> Items(const std::string& id) {
    absl::StatusOr<operations::ItemPage> page =
        operations_->ListItems(program_, id, false, 500, "");
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<operations::ItemResult>{};
  }

  int64_t Available(const std::string& number) {
    absl::StatusOr<Balance> balance = ledger_->GetBalance(program_, number);
    EXPECT_TRUE(balance.ok()) << balance.status();
    return balance.ok() ? balance->available : -1;
  }

  static v1::MassChange Points(int64_t amount) {
    v1::MassChange change;
    change.mutable_adjust_points()->set_amount(amount);
    change.mutable_adjust_points()->set_reason("store reopening gift");
    return change;
  }

  static v1::MassChange Tag(const std::string& tag_id, bool remove = false) {
    v1::MassChange change;
    change.mutable_change_tags()->set_tag_id(tag_id);
    change.mutable_change_tags()->set_remove(remove);
    return change;
  }

  FakeClientTags tags_;
  prometheus::Registry registry_;
  LedgerMetrics ledger_metrics_{registry_};
  operations::OperationMetrics operation_metrics_{registry_};
  std::unique_ptr<operations::OperationStore> operations_;
  std::unique_ptr<MassChangeHandler> handler_;
  std::unique_ptr<operations::OperationRunner> runner_;
};

TEST_F(MassChangePgTest, AccruesOncePerCardAndReportsUnknownCards) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 6; ++i) numbers.push_back(NewCard().number);
  numbers.insert(numbers.begin() + 2, "999000111222");  // no such card
  operations::Operation done = Run(numbers, Points(250));
  EXPECT_EQ(done.total, 7);
  EXPECT_EQ(done.succeeded, 6);
  EXPECT_EQ(done.failed, 1);
  EXPECT_EQ(done.created_by, "key-7");

  std::vector<operations::ItemResult> items = Items(done.id);
  ASSERT_EQ(items.size(), 7u);
  EXPECT_EQ(items[2].key, "999000111222");
  EXPECT_EQ(items[2].code, absl::StatusCode::kNotFound);
  EXPECT_NE(items[2].message, "");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i != 2) {
      EXPECT_EQ(items[i].code, absl::StatusCode::kOk) << items[i].message;
    }
  }
  for (const std::string& number : numbers) {
    if (number != "999000111222") {
      EXPECT_EQ(Available(number), 250) << number;
    }
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1"
                   " AND kind = 'CORRECTION_CREDIT' AND reason = 'store reopening gift'"
                   " AND actor = 'key-7'"),
            6);

  // Every chunk redone from the start, as after a crash before any commit:
  // the transfer ids make the ledger apply nothing twice.
  ASSERT_TRUE(pool_
                  ->Transact([&](pg::Tx& tx) {
                    tx.exec_params(
                        "UPDATE operation_items SET code = NULL, message = ''"
                        " WHERE program_id = $1 AND operation_id = $2",
                        program_, done.id);
                    tx.exec_params(
                        "UPDATE operations SET state = 'RUNNING', processed = 0,"
                        " succeeded = 0, failed = 0, finished_at = NULL"
                        " WHERE program_id = $1 AND operation_id = $2",
                        program_, done.id);
                    return absl::OkStatus();
                  })
                  .ok());
  Drain();
  absl::StatusOr<operations::Operation> again = operations_->Get(program_, done.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state, operations::OperationState::kSucceeded);
  EXPECT_EQ(again->succeeded, 6);
  for (const std::string& number : numbers) {
    if (number != "999000111222") {
      EXPECT_EQ(Available(number), 250) << number;
    }
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM transfers WHERE program_id = $1"
                   " AND kind = 'CORRECTION_CREDIT'"),
            6);
}

TEST_F(MassChangePgTest, WriteOffRefusedPerCardWithNothingChanged) {
  Card rich = NewCard();
  Card poor = NewCard();
  Run({rich.number}, Points(100));
  operations::Operation done = Run({rich.number, poor.number}, Points(-60));
  std::vector<operations::ItemResult> items = Items(done.id);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].code, absl::StatusCode::kOk);
  EXPECT_EQ(items[1].code, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(BalanceOf(rich).available, 40);
  EXPECT_EQ(BalanceOf(poor).available, 0);
}

TEST_F(MassChangePgTest, StatusesFollowTheSingleCardRules) {
  Card a = NewCard();
  Card b = NewCard();
  Card gone = NewCard();
  ASSERT_TRUE(cards_->SetStatus(program_, gone.number, CardStatus::kDeleted, "closed", "k").ok());
  v1::MassChange change;
  change.mutable_set_status()->set_status(v1::CARD_STATUS_BLOCKED);
  change.mutable_set_status()->set_reason("fraud ring");
  operations::Operation done = Run({a.number, gone.number, b.number}, change);
  EXPECT_EQ(done.succeeded, 2);
  std::vector<operations::ItemResult> items = Items(done.id);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[1].code, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cards_->Get(program_, a.number)->status, CardStatus::kBlocked);
  EXPECT_EQ(cards_->Get(program_, gone.number)->status, CardStatus::kDeleted);
  auto history = cards_->ListStatusChanges(program_, b.number, 10, "");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->changes.size(), 1u);
  EXPECT_EQ(history->changes[0].reason, "fraud ring");
  EXPECT_EQ(history->changes[0].actor, "key-7");
}

TEST_F(MassChangePgTest, TemplatesKeepTheCardsLevelType) {
  LevelType type = MakeLevelType();
  Level base = MakeLevel(type, "Base", 0);
  Level gold = MakeLevel(type, "Gold", 100000);
  CardTemplate first = MakeTemplate(type.level_type_id);
  CardTemplate second = MakeTemplate(type.level_type_id);
  CardTemplate other_type = MakeTemplate(MakeLevelType().level_type_id);
  Card laddered = IssueWith(first);
  Card plain = NewCard();

  v1::MassChange change;
  change.mutable_set_template()->set_template_id(second.template_id);
  operations::Operation done = Run({laddered.number, plain.number}, change);
  EXPECT_EQ(done.succeeded, 2) << Items(done.id)[0].message;
  EXPECT_EQ(View(laddered).template_id, second.template_id);
  EXPECT_EQ(View(plain).template_id, second.template_id);
  EXPECT_EQ(LevelOf(plain), base.spec.name) << "attached as at issue";

  change.mutable_set_template()->set_template_id(other_type.template_id);
  done = Run({laddered.number}, change);
  std::vector<operations::ItemResult> items = Items(done.id);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].code, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(View(laddered).template_id, second.template_id);

  // Levels by hand, once per card however often the chunk runs.
  v1::MassChange level;
  level.mutable_set_level()->set_level_id(gold.level_id);
  level.mutable_set_level()->set_comment("VIP list 2024");
  done = Run({laddered.number, plain.number, "123456789"}, level);
  EXPECT_EQ(done.succeeded, 2);
  EXPECT_EQ(LevelOf(laddered), gold.spec.name);
  EXPECT_EQ(LevelOf(plain), gold.spec.name);
  EXPECT_EQ(HistoryOf(laddered).front().principal_id, "key-7");
  EXPECT_EQ(HistoryOf(laddered).front().comment, "VIP list 2024");
}

TEST_F(MassChangePgTest, TagsGoOnEveryHolderOfEachCard) {
  const std::string vip = NewUuid();
  tags_.tags.insert(vip);
  Card shared = NewCard();
  const std::string partner = NewUuid();
  ASSERT_TRUE(cards_->AddHolder(program_, shared.number, partner).ok());
  Card single = NewCard();
  absl::StatusOr<CardBatch> unowned =
      cards_->IssueBatch(program_, CardBatchInput{.request_id = NewUuid(), .count = 1});
  ASSERT_TRUE(unowned.ok()) << unowned.status();

  operations::Operation done =
      Run({shared.number, unowned->numbers[0], single.number, "999000111222"}, Tag(vip));
  EXPECT_EQ(done.succeeded, 2);
  std::vector<operations::ItemResult> items = Items(done.id);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[1].code, absl::StatusCode::kFailedPrecondition) << "no holder to tag";
  EXPECT_EQ(items[3].code, absl::StatusCode::kNotFound) << "no such card";
  EXPECT_EQ(tags_.tagged[vip],
            (std::set<std::string>{shared.client_id, partner, single.client_id}));
  EXPECT_EQ(tags_.programs, std::set<std::string>{program_});

  done = Run({shared.number}, Tag(vip, /*remove=*/true));
  EXPECT_EQ(done.succeeded, 1);
  EXPECT_EQ(tags_.tagged[vip], std::set<std::string>{single.client_id});
}

TEST_F(MassChangePgTest, AHolderIdentityDoesNotKnowFailsOnlyThatCard) {
  const std::string tag = NewUuid();
  tags_.tags.insert(tag);
  Card known = NewCard();
  Card erased = NewCard();
  tags_.unknown_clients.insert(erased.client_id);
  operations::Operation done = Run({known.number, erased.number}, Tag(tag));
  std::vector<operations::ItemResult> items = Items(done.id);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].code, absl::StatusCode::kOk);
  EXPECT_EQ(items[1].code, absl::StatusCode::kNotFound);
  EXPECT_NE(items[1].message.find(erased.client_id), std::string::npos) << items[1].message;
}

TEST_F(MassChangePgTest, ATagDeletedMeanwhileFailsTheOperation) {
  Card card = NewCard();
  operations::Operation done = Run({card.number}, Tag(NewUuid()), NewUuid(),
                                   operations::OperationState::kFailed);
  EXPECT_NE(done.error.find("deleted"), std::string::npos) << done.error;
}

TEST_F(MassChangePgTest, IdentityAwayRetriesTheChunkInsteadOfFailingCards) {
  const std::string tag = NewUuid();
  tags_.tags.insert(tag);
  Card card = NewCard();
  tags_.unavailable = true;
  v1::StartMassChangeRequest request;
  request.set_request_id(NewUuid());
  request.add_card_numbers(card.number);
  *request.mutable_change() = Tag(tag);
  absl::StatusOr<operations::NewOperation> op = MassChangeOperation(request, "key-7");
  ASSERT_TRUE(op.ok()) << op.status();
  absl::StatusOr<operations::Operation> created = operations_->Create(program_, *op);
  ASSERT_TRUE(created.ok()) << created.status();
  (void)runner_->RunOnce();
  absl::StatusOr<operations::Operation> pending = operations_->Get(program_, created->id);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->processed, 0) << "nothing recorded while identity is away";

  tags_.unavailable = false;
  Drain();
  absl::StatusOr<operations::Operation> done = operations_->Get(program_, created->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, operations::OperationState::kSucceeded);
  EXPECT_EQ(done->succeeded, 1);
  EXPECT_EQ(tags_.tagged[tag], std::set<std::string>{card.client_id});
}

}  // namespace
}  // namespace loyalty::cards::testing
