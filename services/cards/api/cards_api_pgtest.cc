// The gRPC services end to end in-process: real handlers, real PostgreSQL,
// a fake identity behind ClientDirectory.

#include <memory>

#include "absl/strings/string_view.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/status.h"
#include "prometheus/registry.h"
#include "services/cards/api/cards_api.h"
#include "services/cards/api/ledger_api.h"
#include "services/cards/api/metrics.h"
#include "services/cards/api/points_api.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CardsPgTest;
using testing::FakeClientDirectory;

class CardsApiTest : public CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    if (HasFatalFailure()) return;
    metrics_ = std::make_unique<LedgerMetrics>(registry_);
    masters_ = std::make_unique<MasterAccountStore>(*pool_, clock_);
    cards_api_ =
        std::make_unique<CardsApi>(*cards_, directory_, /*levels=*/nullptr,
                                   /*operations=*/nullptr, /*tags=*/nullptr, masters_.get());
    ledger_api_ = std::make_unique<LedgerApi>(*ledger_, *metrics_);
    reader_ = std::make_unique<PointsReader>(*pool_, clock_);
    points_api_ = std::make_unique<PointsApi>(*ledger_, *reader_, *metrics_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(cards_api_.get());
    builder.RegisterService(ledger_api_.get());
    builder.RegisterService(points_api_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    cards_stub_ = v1::CardsService::NewStub(channel);
    ledger_stub_ = v1::LedgerService::NewStub(channel);
    points_stub_ = v1::PointsService::NewStub(channel);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    CardsPgTest::TearDown();
  }

  // A call as the gateway would make it for this test's program.
  std::unique_ptr<grpc::ClientContext> Call(absl::string_view program = "",
                                            absl::string_view store_id = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    rpc::WriteCallContext(
        rpc::CallContext{.program_id = std::string(program.empty() ? program_ : program),
                         .role = "ROLE_POS",
                         .store_id = std::string(store_id),
                         .principal_id = "key-under-test",
                         .trace = TraceParent::NewRoot()},
        *context);
    return context;
  }

  absl::StatusOr<v1::Card> Issue(const v1::IssueCardRequest& request,
                                 absl::string_view program = "") {
    v1::Card card;
    absl::Status status =
        rpc::FromGrpcStatus(cards_stub_->IssueCard(Call(program).get(), request, &card));
    if (!status.ok()) return status;
    return card;
  }

  double Counter(const std::string& name) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      double total = 0;  // over all label values
      for (const auto& metric : family.metric) total += metric.counter.value;
      return total;
    }
    return -1;
  }

  FakeClientDirectory directory_;
  prometheus::Registry registry_;
  std::unique_ptr<LedgerMetrics> metrics_;
  std::unique_ptr<MasterAccountStore> masters_;
  std::unique_ptr<CardsApi> cards_api_;
  std::unique_ptr<LedgerApi> ledger_api_;
  std::unique_ptr<PointsReader> reader_;
  std::unique_ptr<PointsApi> points_api_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::CardsService::Stub> cards_stub_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_stub_;
  std::unique_ptr<v1::PointsService::Stub> points_stub_;
};

TEST_F(CardsApiTest, IssueCardChecksTheClientInTheCallersProgram) {
  const std::string client = NewUuid();
  v1::IssueCardRequest request;
  request.set_client_id(client);

  auto unknown = Issue(request);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(unknown.status()), "client_id");

  directory_.Add(NewUuid(), client);  // wrong program
  EXPECT_EQ(ViolatedField(Issue(request).status()), "client_id");

  directory_.Add(program_, client);
  auto card = Issue(request);
  ASSERT_TRUE(card.ok()) << card.status();
  EXPECT_TRUE(IsValidEan13(card->number()));
  EXPECT_EQ(card->barcode(), card->number());
  EXPECT_EQ(card->client_id(), client);
  EXPECT_EQ(card->status(), v1::CARD_STATUS_ACTIVE);
  EXPECT_TRUE(card->has_balance());
  EXPECT_TRUE(card->has_create_time());
}

TEST_F(CardsApiTest, BadRequestsNeverReachIdentity) {
  v1::IssueCardRequest request;
  EXPECT_EQ(ViolatedField(Issue(request).status()), "client_id");
  request.set_client_id("not-a-uuid");
  EXPECT_EQ(ViolatedField(Issue(request).status()), "client_id");
  request.set_client_id(NewUuid());
  request.set_number("12ab56");
  EXPECT_EQ(ViolatedField(Issue(request).status()), "number");
  EXPECT_EQ(directory_.calls(), 0);

  // No program named: refused before anything else.
  v1::Card card;
  grpc::ClientContext bare;
  EXPECT_EQ(cards_stub_->IssueCard(&bare, request, &card).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CardsApiTest, RetriedIssueReturnsTheFirstCardWithoutAskingIdentity) {
  const std::string client = NewUuid();
  directory_.Add(program_, client);
  v1::IssueCardRequest request;
  request.set_client_id(client);
  request.set_request_id("req-1");
  auto first = Issue(request);
  ASSERT_TRUE(first.ok()) << first.status();
  directory_.FailWith(absl::UnavailableError("identity down"));
  auto second = Issue(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->number(), first->number());
  EXPECT_EQ(directory_.calls(), 1);

  // A new card while identity is down: retry later.
  request.set_request_id("req-2");
  EXPECT_EQ(Issue(request).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CardsApiTest, GetCardIsScopedToTheProgram) {
  Card card = NewCard();
  MustCommit(Accrual("a-1", card, 25));
  v1::GetCardRequest request;
  request.set_number(card.number);
  v1::Card got;
  ASSERT_TRUE(cards_stub_->GetCard(Call().get(), request, &got).ok());
  EXPECT_EQ(got.account_id(), card.account_id);
  EXPECT_EQ(got.balance().available(), 25);
  EXPECT_EQ(
      cards_stub_->GetCard(Call(NewUuid()).get(), request, &got).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(CardsApiTest, CardsShowTheirMasterAccountAndShare) {
  Card mum = NewCard(), son = NewCard(), alone = NewCard();
  MustCommit(Accrual("a-mum", mum, 300));
  MustCommit(Accrual("a-son", son, 100));
  auto master = masters_->Create(program_, {mum.number, son.number}, LeaveRule::kProportional,
                                 "family-1", "op-1");
  ASSERT_TRUE(master.ok()) << master.status();

  v1::GetCardRequest request;
  request.set_number(son.number);
  v1::Card got;
  ASSERT_TRUE(cards_stub_->GetCard(Call().get(), request, &got).ok());
  ASSERT_TRUE(got.has_master_account());
  EXPECT_EQ(got.master_account().master_account_id(), master->master_account_id);
  EXPECT_EQ(got.account_id(), master->master_account_id);
  EXPECT_EQ(got.master_account().contribution(), 100);
  EXPECT_EQ(got.master_account().share_bp(), 2500);
  EXPECT_EQ(got.master_account().member_count(), 2);
  EXPECT_TRUE(got.master_account().has_join_time());
  EXPECT_EQ(got.balance().available(), 400);

  // A page shows each member's own share; a card on its own shows none.
  v1::ListCardsRequest list;
  v1::ListCardsResponse page;
  ASSERT_TRUE(cards_stub_->ListCards(Call().get(), list, &page).ok());
  ASSERT_EQ(page.cards_size(), 3);
  for (const v1::Card& card : page.cards()) {
    if (card.number() == alone.number) {
      EXPECT_FALSE(card.has_master_account());
    } else {
      EXPECT_EQ(card.master_account().master_account_id(), master->master_account_id);
      EXPECT_EQ(card.master_account().share_bp(), card.number() == mum.number ? 7500 : 2500);
    }
  }

  // A card that left has its own account again.
  auto left = masters_->RemoveMember(program_, master->master_account_id, son.number,
                                     LeaveRule::kProportional, "leave-1", "op-1");
  ASSERT_TRUE(left.ok()) << left.status();
  ASSERT_TRUE(cards_stub_->GetCard(Call().get(), request, &got).ok());
  EXPECT_FALSE(got.has_master_account());
  EXPECT_EQ(got.account_id(), left->account_id);
  request.set_number(mum.number);
  ASSERT_TRUE(cards_stub_->GetCard(Call().get(), request, &got).ok());
  EXPECT_EQ(got.master_account().member_count(), 1);
  EXPECT_EQ(got.master_account().share_bp(), 10000);
}

TEST_F(CardsApiTest, LedgerOverGrpcCountsAppliedPointsOnce) {
  Card card = NewCard();
  v1::CommitTransfersRequest commit;
  v1::TransferSpec* accrual = commit.add_transfers();
  accrual->set_transfer_id("a-1");
  accrual->set_kind(v1::TRANSFER_KIND_ACCRUAL);
  accrual->set_card_number(card.number);
  accrual->set_amount(100);
  for (int i = 0; i < 2; ++i) {  // the second is a replay
    v1::CommitTransfersResponse response;
    grpc::Status status = ledger_stub_->CommitTransfers(Call().get(), commit, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.results_size(), 1);
    EXPECT_EQ(response.results(0).amount(), 100);
    EXPECT_EQ(response.balance().available(), 100);
  }
  EXPECT_EQ(Counter("loyalty_points_issued_total"), 100);

  v1::HoldPointsRequest hold;
  hold.set_hold_id("h-1");
  hold.set_card_number(card.number);
  hold.set_amount(101);
  v1::Hold held;
  absl::Status refused = rpc::FromGrpcStatus(ledger_stub_->HoldPoints(Call().get(), hold, &held));
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused), "amount");
  hold.set_amount(40);
  ASSERT_TRUE(ledger_stub_->HoldPoints(Call().get(), hold, &held).ok());
  EXPECT_EQ(held.state(), v1::HOLD_STATE_HELD);

  v1::CommitTransfersRequest post;
  v1::TransferSpec* redemption = post.add_transfers();
  redemption->set_transfer_id("r-1");
  redemption->set_kind(v1::TRANSFER_KIND_REDEMPTION);
  redemption->set_card_number(card.number);
  redemption->set_amount(40);
  redemption->set_hold_id("h-1");
  v1::CommitTransfersResponse posted;
  ASSERT_TRUE(ledger_stub_->CommitTransfers(Call().get(), post, &posted).ok());
  EXPECT_EQ(posted.balance().available(), 60);
  EXPECT_EQ(Counter("loyalty_points_redeemed_total"), 40);

  v1::VoidHoldRequest void_request;
  void_request.set_hold_id("h-1");
  absl::Status void_status =
      rpc::FromGrpcStatus(ledger_stub_->VoidHold(Call().get(), void_request, &held));
  EXPECT_EQ(void_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(void_status), "hold_id");

  v1::GetBalanceRequest balance_request;
  balance_request.set_card_number(card.number);
  v1::Balance balance;
  ASSERT_TRUE(ledger_stub_->GetBalance(Call().get(), balance_request, &balance).ok());
  EXPECT_EQ(balance.active(), 60);

  // Bad input is named with its index.
  redemption->set_transfer_id("");
  absl::Status bad =
      rpc::FromGrpcStatus(ledger_stub_->CommitTransfers(Call().get(), post, &posted));
  EXPECT_EQ(ViolatedField(bad), "transfers[0].transfer_id");
}

TEST_F(CardsApiTest, AdjustPointsRecordsTheCallerAndNamesRequestFields) {
  const Card card = NewCard();
  v1::AdjustPointsRequest request;
  request.set_card_number(card.number);
  request.set_amount(30);
  request.set_reason("goodwill");
  request.set_request_id("adj-1");
  v1::AdjustPointsResponse response;
  ASSERT_TRUE(points_stub_->AdjustPoints(Call().get(), request, &response).ok());
  EXPECT_EQ(response.balance().active(), 30);
  EXPECT_EQ(Counter("loyalty_points_corrected_total"), 30);

  auto refused = [&](v1::AdjustPointsRequest bad) {
    v1::AdjustPointsResponse ignored;
    return rpc::FromGrpcStatus(points_stub_->AdjustPoints(Call().get(), bad, &ignored));
  };
  v1::AdjustPointsRequest bad = request;
  bad.set_reason("other reason");  // same id, other content
  EXPECT_EQ(ViolatedField(refused(bad)), "request_id");
  bad = request;
  bad.clear_request_id();
  EXPECT_EQ(ViolatedField(refused(bad)), "request_id");
  bad = request;
  bad.set_request_id("adj-2");
  bad.set_amount(0);
  EXPECT_EQ(ViolatedField(refused(bad)), "amount");
  bad.set_amount(INT64_MIN);
  EXPECT_EQ(ViolatedField(refused(bad)), "amount");
  bad.set_amount(-31);
  EXPECT_EQ(ViolatedField(refused(bad)), "amount");
  bad.set_amount(-1);
  bad.mutable_expire_time()->set_seconds(1);
  EXPECT_EQ(ViolatedField(refused(bad)), "expire_time");
  bad = request;
  bad.set_request_id("adj-3");
  bad.clear_reason();
  EXPECT_EQ(ViolatedField(refused(bad)), "reason");

  v1::ListCardOperationsRequest list;
  list.set_card_number(card.number);
  v1::ListCardOperationsResponse operations;
  ASSERT_TRUE(points_stub_->ListCardOperations(Call().get(), list, &operations).ok());
  ASSERT_EQ(operations.operations_size(), 1);
  EXPECT_EQ(operations.operations(0).kind(), v1::TRANSFER_KIND_CORRECTION_CREDIT);
  EXPECT_EQ(operations.operations(0).actor(), "key-under-test");
  EXPECT_EQ(operations.operations(0).balance_after(), 30);
}

TEST_F(CardsApiTest, StoreBoundKeysIssueAtTheirOwnStore) {
  const std::string client = NewUuid();
  const std::string store = NewUuid();
  directory_.Add(program_, client);
  v1::IssueCardRequest request;
  request.set_client_id(client);
  v1::Card card;
  ASSERT_TRUE(cards_stub_->IssueCard(Call("", store).get(), request, &card).ok());
  EXPECT_EQ(card.issue_store_id(), store);
  EXPECT_EQ(card.issue_form(), v1::ISSUE_FORM_VIRTUAL);

  request.set_store_id(NewUuid());
  absl::Status other =
      rpc::FromGrpcStatus(cards_stub_->IssueCard(Call("", store).get(), request, &card));
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ViolatedField(other), "store_id");

  v1::IssueCardBatchRequest batch;
  batch.set_request_id("b-1");
  batch.set_count(2);
  v1::IssueCardBatchResponse issued;
  ASSERT_TRUE(cards_stub_->IssueCardBatch(Call("", store).get(), batch, &issued).ok());
  ASSERT_EQ(issued.numbers_size(), 2);
  v1::GetCardRequest get;
  get.set_number(issued.numbers(0));
  ASSERT_TRUE(cards_stub_->GetCard(Call().get(), get, &card).ok());
  EXPECT_EQ(card.issue_store_id(), store);
  EXPECT_EQ(card.client_id(), "");
}

TEST_F(CardsApiTest, StatusChangesAndBindingOverGrpc) {
  const std::string client = NewUuid();
  directory_.Add(program_, client);
  v1::IssueCardBatchRequest batch;
  batch.set_request_id("b-1");
  batch.set_count(1);
  v1::IssueCardBatchResponse issued;
  ASSERT_TRUE(cards_stub_->IssueCardBatch(Call().get(), batch, &issued).ok());

  v1::BindCardRequest bind;
  bind.set_number(issued.numbers(0));
  bind.set_client_id(NewUuid());  // not a client of this program
  v1::Card card;
  EXPECT_EQ(ViolatedField(rpc::FromGrpcStatus(cards_stub_->BindCard(Call().get(), bind, &card))),
            "client_id");
  bind.set_client_id(client);
  ASSERT_TRUE(cards_stub_->BindCard(Call().get(), bind, &card).ok());
  EXPECT_EQ(card.client_id(), client);

  v1::SetCardStatusRequest status;
  status.set_number(card.number());
  status.set_reason("reported stolen");
  EXPECT_EQ(
      ViolatedField(rpc::FromGrpcStatus(cards_stub_->SetCardStatus(Call().get(), status, &card))),
      "status");
  status.set_status(v1::CARD_STATUS_LOST);
  ASSERT_TRUE(cards_stub_->SetCardStatus(Call().get(), status, &card).ok());
  EXPECT_EQ(card.status(), v1::CARD_STATUS_LOST);
  EXPECT_EQ(card.status_reason(), "reported stolen");

  v1::ListCardStatusChangesRequest list;
  list.set_number(card.number());
  v1::ListCardStatusChangesResponse changes;
  ASSERT_TRUE(cards_stub_->ListCardStatusChanges(Call().get(), list, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).actor(), "key-under-test");

  v1::ListCardsRequest by_client;
  by_client.set_client_id(client);
  v1::ListCardsResponse cards;
  ASSERT_TRUE(cards_stub_->ListCards(Call().get(), by_client, &cards).ok());
  ASSERT_EQ(cards.cards_size(), 1);
  by_client.set_client_id("nope");
  EXPECT_EQ(
      ViolatedField(rpc::FromGrpcStatus(cards_stub_->ListCards(Call().get(), by_client, &cards))),
      "client_id");
}

}  // namespace
}  // namespace loyalty::cards
