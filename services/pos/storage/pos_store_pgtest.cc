#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/testing/migrated_database.h"
#include "loyalty/pos/v1/events.pb.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {
namespace {

constexpr char kProgram[] = "11111111-2222-4333-8444-555555555555";
constexpr char kOtherProgram[] = "99999999-2222-4333-8444-555555555555";

class PosStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database = testing::StartMigratedDatabase("pos", generated::PosMigrations());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
    server_ = database_->server.get();
    pool_ = database_->pool.get();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override {
    auto store = store_.CreateStore(kProgram, Store{.name = "Main", .city = "Moscow"}, "");
    ASSERT_TRUE(store.ok()) << store.status();
    store_id_ = store->store_id;
  }

  Receipt Calculated(const std::string& number) {
    Receipt receipt;
    receipt.receipt_id = NewId();
    receipt.program_id = kProgram;
    receipt.store_id = store_id_;
    receipt.receipt_number = number;
    receipt.card_number = "2000000000008";
    receipt.lines = *PriceLines({{.sku = "a", .quantity = "2", .price = 10000}});
    receipt.total_amount = 20000;
    receipt.points_earned = 10;
    receipt.lines[0].points_earned = 10;
    receipt.create_time = absl::Now();
    return receipt;
  }

  static std::string NewId() {
    static std::atomic<int> counter{0};
    char id[37];
    std::snprintf(id, sizeof(id), "aaaaaaaa-bbbb-4ccc-8ddd-%012d", ++counter);
    return id;
  }

  int64_t Count(const std::string& sql) {
    auto value = server_->Query(sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? std::stoll(*value) : -1;
  }

  static testing::MigratedDatabase* database_;
  static testing::PostgresServer* server_;
  static pg::Pool* pool_;
  PosStore store_{*pool_};
  std::string store_id_;
};

testing::MigratedDatabase* PosStoreTest::database_ = nullptr;
testing::PostgresServer* PosStoreTest::server_ = nullptr;
pg::Pool* PosStoreTest::pool_ = nullptr;

TEST_F(PosStoreTest, StoresAreIdempotentAndIsolated) {
  auto a = store_.CreateStore(kProgram, Store{.name = "Second"}, "req-store");
  auto b = store_.CreateStore(kProgram, Store{.name = "Second"}, "req-store");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->store_id, b->store_id);
  EXPECT_EQ(store_.GetStore(kOtherProgram, a->store_id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.CheckStore(kOtherProgram, store_id_).code(), absl::StatusCode::kNotFound);
}

TEST_F(PosStoreTest, SettingsDefaultThenUpdate) {
  auto settings = store_.GetSettings(kOtherProgram);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->accrual_rate_bp, 0);
  EXPECT_EQ(settings->point_value, 100);
  PosSettings changed{.accrual_rate_bp = 700,
                      .max_redeem_share_bp = 3000,
                      .point_value = 50,
                      .activation_delay_seconds = 86400,
                      .points_lifetime_days = 180};
  ASSERT_TRUE(store_
                  .UpdateSettings(kOtherProgram,
                                  [&](PosSettings& settings) {
                                    settings = changed;
                                    return absl::OkStatus();
                                  })
                  .ok());
  // A refused change changes nothing.
  EXPECT_FALSE(store_
                   .UpdateSettings(kOtherProgram,
                                   [](PosSettings& settings) {
                                     settings.point_value = 1;
                                     return absl::InvalidArgumentError("no");
                                   })
                   .ok());
  settings = store_.GetSettings(kOtherProgram);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->accrual_rate_bp, 700);
  EXPECT_EQ(settings->points_lifetime_days, 180);
  EXPECT_EQ(settings->refund_shortfall_policy, RefundShortfallPolicy::kCap);

  ASSERT_TRUE(store_
                  .UpdateSettings(kOtherProgram,
                                  [](PosSettings& settings) {
                                    settings.refund_shortfall_policy =
                                        RefundShortfallPolicy::kNegativeBalance;
                                    settings.refund_negative_floor = 500;
                                    return absl::OkStatus();
                                  })
                  .ok());
  settings = store_.GetSettings(kOtherProgram);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->refund_shortfall_policy, RefundShortfallPolicy::kNegativeBalance);
  EXPECT_EQ(settings->refund_negative_floor, 500);
  EXPECT_EQ(settings->accrual_rate_bp, 700);
}

// The last event of `type` about `id` in the outbox, parsed.
template <typename Event>
Event LastEvent(testing::PostgresServer& server, const std::string& type, const std::string& id) {
  auto payload = server.Query(absl::StrCat("SELECT payload FROM pos.outbox WHERE event_type = '",
                                           type, "' AND payload LIKE '%", id,
                                           "%' ORDER BY id DESC LIMIT 1"));
  EXPECT_TRUE(payload.ok()) << payload.status();
  Event event;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(payload.value_or(""), &event).ok());
  return event;
}

TEST_F(PosStoreTest, ConfirmAndRefundEventsCarryTheReceiptsComposition) {
  Receipt receipt = Calculated("C-POS7");
  receipt.lines[0].line_number = 3;
  receipt.lines[0].discount = 2000;
  receipt.lines[0].points_spent = 5;
  receipt.points_spent = 5;
  receipt.hold_id = receipt.receipt_id + ":1";  // the points to spend are held
  receipt.applied_campaigns.push_back(AppliedRule{.campaign_id = "dairy",
                                                  .campaign_version = 4,
                                                  .rule_id = "r1",
                                                  .lines = {{.line_number = 3, .discount = 2000}},
                                                  .discount = 2000});
  // One certificate paid 30.00; one offered could not (not money: left out).
  receipt.certificates = {{.number = "7700001",
                           .outcome = CertificateOutcome::kApplied,
                           .amount = 3000,
                           .hold_id = receipt.receipt_id + ":1:ab:c0"},
                          {.number = "7700002",
                           .outcome = CertificateOutcome::kInsufficient,
                           .reason = "nothing available"}};
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto begun = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "confirm-pos7");
  ASSERT_TRUE(begun.ok()) << begun.status();
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, Balance{}).ok());

  auto confirmed = LastEvent<v1::ReceiptConfirmed>(*server_, "loyalty.pos.v1.ReceiptConfirmed",
                                                   receipt.receipt_id);
  EXPECT_EQ(confirmed.receipt_number(), "C-POS7");
  EXPECT_EQ(confirmed.total_discount(), 2000);
  ASSERT_EQ(confirmed.lines_size(), 1);
  EXPECT_EQ(confirmed.lines(0).line_number(), 3);
  EXPECT_EQ(confirmed.lines(0).price(), 10000);
  EXPECT_EQ(confirmed.lines(0).points_spent(), 5);
  EXPECT_EQ(confirmed.lines(0).points_earned(), 10);
  ASSERT_EQ(confirmed.applied_campaigns_size(), 1);
  EXPECT_EQ(confirmed.applied_campaigns(0).campaign_id(), "dairy");
  EXPECT_EQ(confirmed.applied_campaigns(0).campaign_version(), 4);
  EXPECT_EQ(confirmed.applied_campaigns(0).discount(), 2000);
  EXPECT_EQ(confirmed.applied_campaigns(0).line_numbers().size(), 1);
  EXPECT_TRUE(confirmed.has_confirm_time());
  ASSERT_EQ(confirmed.certificates_size(), 1);
  EXPECT_EQ(confirmed.certificates(0).number(), "7700001");
  EXPECT_EQ(confirmed.certificates(0).amount(), 3000);

  auto refund = store_.BeginRefund(kProgram, "", receipt.receipt_id, "refund-pos7",
                                   {{.line_number = 3, .quantity = "1"}});
  ASSERT_TRUE(refund.ok()) << refund.status();
  ASSERT_TRUE(store_.FinishRefund(kProgram, refund->refund_id, 4, 0, Balance{}).ok());
  auto refunded = LastEvent<v1::ReceiptRefunded>(*server_, "loyalty.pos.v1.ReceiptRefunded",
                                                 refund->refund_id);
  EXPECT_EQ(refunded.receipt_id(), receipt.receipt_id);
  EXPECT_EQ(refunded.card_number(), receipt.card_number);
  EXPECT_EQ(refunded.points_reversed(), 4);
  ASSERT_EQ(refunded.lines_size(), 1);
  EXPECT_EQ(refunded.lines(0).line_number(), 3);
  EXPECT_EQ(refunded.lines(0).quantity_milli(), 1000);
  EXPECT_EQ(refunded.lines(0).amount(), refund->plan.amount);
  EXPECT_EQ(refunded.lines(0).points_earned(), 5);
  // One of the two units back is half the paid value: the certificate gets
  // half of its 30.00.
  ASSERT_EQ(refunded.certificates_size(), 1);
  EXPECT_EQ(refunded.certificates(0).number(), "7700001");
  EXPECT_EQ(refunded.certificates(0).amount(), 1500);
  EXPECT_FALSE(refunded.receipt_cancelled());
}

TEST_F(PosStoreTest, AnOfflineReceiptKeepsItsTakenTimeThroughRecalculationAndTheEvent) {
  Receipt receipt = Calculated("C-POS6");
  const absl::Time taken = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now() - absl::Hours(3)));
  receipt.taken_time = taken;
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto stored = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->taken_time, taken);

  // A recalculation (a re-upload after a crash) writes it again.
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  receipt.calculation = 2;
  receipt.taken_time = taken + absl::Minutes(1);
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  EXPECT_EQ(store_.Get(kProgram, receipt.receipt_id)->taken_time, taken + absl::Minutes(1));

  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, Balance{}).ok());
  auto confirmed = LastEvent<v1::ReceiptConfirmed>(*server_, "loyalty.pos.v1.ReceiptConfirmed",
                                                   receipt.receipt_id);
  EXPECT_TRUE(confirmed.offline());
  EXPECT_EQ(confirmed.taken_time().seconds(), absl::ToUnixSeconds(taken + absl::Minutes(1)));

  // An online receipt has none.
  Receipt online = Calculated("C-POS6-online");
  ASSERT_TRUE(store_.SaveCalculation(online).ok());
  EXPECT_FALSE(store_.Get(kProgram, online.receipt_id)->taken_time.has_value());
}

TEST_F(PosStoreTest, ConfirmIsIdempotentAndEmitsOneEvent) {
  Receipt receipt = Calculated("C-1");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  int64_t events = Count("SELECT count(*) FROM pos.outbox");

  auto begun = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "confirm-1");
  ASSERT_TRUE(begun.ok()) << begun.status();
  EXPECT_EQ(begun->state, ReceiptState::kConfirming);
  auto again = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "confirm-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state, ReceiptState::kConfirming);

  Balance balance{.available = 10};
  auto done = store_.FinishConfirm(kProgram, receipt.receipt_id, balance);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state, ReceiptState::kConfirmed);
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, balance).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM pos.outbox"), events + 1);

  // The request id belongs to that receipt now.
  Receipt other = Calculated("C-2");
  ASSERT_TRUE(store_.SaveCalculation(other).ok());
  auto reused = store_.BeginConfirm(kProgram, "", other.receipt_id, "confirm-1");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(reused.status()), "request_id");
  // A confirmed receipt is not recalculated under its number (a cancel
  // undoes it by a refund instead: CancelOfAConfirmedReceipt...).
  auto found = store_.FindByNumber(kProgram, store_id_, "C-1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->state, ReceiptState::kConfirmed);
}

TEST_F(PosStoreTest, RecalculationIsClaimedOnceAndBlocksConfirm) {
  Receipt receipt = Calculated("S-1");
  receipt.points_spent = 5;
  receipt.hold_id = "h-1";
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  // A second claim on the same calculation loses.
  EXPECT_EQ(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).code(),
            absl::StatusCode::kAborted);
  // While the new calculation is pending the old hold cannot be posted.
  EXPECT_EQ(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  Receipt second = receipt;
  second.calculation = 2;
  second.hold_id = "h-2";
  ASSERT_TRUE(store_.SaveCalculation(second).ok());
  EXPECT_EQ(store_.SaveCalculation(second).code(), absl::StatusCode::kAborted);
  auto begun = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "");
  ASSERT_TRUE(begun.ok()) << begun.status();
  EXPECT_EQ(begun->hold_id, "h-2");
  // Two first calculations of one number: the second is told to retry.
  Receipt twin = Calculated("S-1");
  EXPECT_EQ(store_.SaveCalculation(twin).code(), absl::StatusCode::kAborted);
}

TEST_F(PosStoreTest, TheCampaignsThatPricedAReceiptAreKeptAndReplacedByARecalculation) {
  Receipt receipt = Calculated("CMP-1");
  receipt.lines = *PriceLines({{.sku = "a", .quantity = "2", .price = 10000},
                               {.sku = "b", .quantity = "1", .price = 5000},
                               {.sku = "c", .quantity = "1", .price = 3000}});
  receipt.lines[0].discount = 2000;
  receipt.applied_campaigns = {
      {.campaign_id = "c-1",
       .campaign_version = 3,
       .rule_id = "r1",
       .lines = {{.line_number = receipt.lines[0].line_number, .discount = 2000}},
       .discount = 2000,
       .cashier_message = "10% off"},
      {.campaign_id = "c-2", .campaign_version = 1, .rule_id = "pts", .bonus_points = 4},
      {.campaign_id = "c-3",
       .campaign_version = 2,
       .rule_id = "x2",
       .lines = {{.line_number = receipt.lines[2].line_number, .bonus_points = 3},
                 {.line_number = receipt.lines[1].line_number, .discount = 7, .bonus_points = 5}},
       .bonus_points = 8}};
  receipt.budget_reserved = true;
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto saved = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_TRUE(saved->budget_reserved);
  ASSERT_EQ(saved->applied_campaigns.size(), 3u);
  EXPECT_EQ(saved->applied_campaigns[0].campaign_id, "c-1");
  EXPECT_EQ(saved->applied_campaigns[0].campaign_version, 3);
  EXPECT_EQ(saved->applied_campaigns[0].cashier_message, "10% off");
  ASSERT_EQ(saved->applied_campaigns[0].lines.size(), 1u);
  EXPECT_EQ(saved->applied_campaigns[0].lines[0].discount, 2000);
  EXPECT_EQ(saved->applied_campaigns[1].rule_id, "pts");
  EXPECT_EQ(saved->applied_campaigns[1].bonus_points, 4);
  EXPECT_TRUE(saved->applied_campaigns[1].lines.empty());
  // Each rule keeps its own shares, in line order.
  const AppliedRule& doubled = saved->applied_campaigns[2];
  ASSERT_EQ(doubled.lines.size(), 2u);
  EXPECT_EQ(doubled.lines[0].line_number, receipt.lines[1].line_number);
  EXPECT_EQ(doubled.lines[0].discount, 7);
  EXPECT_EQ(doubled.lines[0].bonus_points, 5);
  EXPECT_EQ(doubled.lines[1].line_number, receipt.lines[2].line_number);
  EXPECT_EQ(doubled.lines[1].bonus_points, 3);

  // The campaign was paused meanwhile: the recalculation has none.
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  Receipt second = receipt;
  second.calculation = 2;
  second.applied_campaigns.clear();
  second.budget_reserved = false;
  ASSERT_TRUE(store_.SaveCalculation(second).ok());
  auto confirmed = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "");
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_TRUE(confirmed->applied_campaigns.empty());
  EXPECT_FALSE(confirmed->budget_reserved);
}

TEST_F(PosStoreTest, GiftsAreKeptWithTheCalculationReplacedByTheNextAndInTheEvent) {
  Receipt receipt = Calculated("CMP-4");
  receipt.gifts = {{.campaign_id = "c-gift",
                    .campaign_version = 2,
                    .rule_id = "r1",
                    .sku = "mug",
                    .product_name = "Coffee mug",
                    .in_catalogue = true,
                    .quantity_milli = 1000},
                   {.campaign_id = "c-gift",
                    .campaign_version = 2,
                    .rule_id = "r1",
                    .sku = "ghost",
                    .quantity_milli = 1500,
                    .price = 250}};
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto saved = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_EQ(saved->gifts.size(), 2u);
  EXPECT_EQ(saved->gifts[0].sku, "mug");
  EXPECT_EQ(saved->gifts[0].product_name, "Coffee mug");
  EXPECT_TRUE(saved->gifts[0].in_catalogue);
  EXPECT_EQ(saved->gifts[0].campaign_version, 2);
  EXPECT_EQ(saved->gifts[1].sku, "ghost");
  EXPECT_FALSE(saved->gifts[1].in_catalogue);
  EXPECT_EQ(saved->gifts[1].quantity_milli, 1500);
  EXPECT_EQ(saved->gifts[1].price, 250);

  // The recalculation gives only the mug: the ghost is gone.
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  Receipt second = receipt;
  second.calculation = 2;
  second.gifts.pop_back();
  ASSERT_TRUE(store_.SaveCalculation(second).ok());
  auto begun = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "confirm-gifts");
  ASSERT_TRUE(begun.ok()) << begun.status();
  ASSERT_EQ(begun->gifts.size(), 1u);
  EXPECT_EQ(begun->gifts[0].sku, "mug");
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, Balance{}).ok());
  auto confirmed = LastEvent<v1::ReceiptConfirmed>(*server_, "loyalty.pos.v1.ReceiptConfirmed",
                                                   receipt.receipt_id);
  ASSERT_EQ(confirmed.gifts_size(), 1);
  EXPECT_EQ(confirmed.gifts(0).sku(), "mug");
  EXPECT_TRUE(confirmed.gifts(0).in_catalogue());
  EXPECT_EQ(confirmed.gifts(0).quantity_milli(), 1000);
  EXPECT_EQ(confirmed.gifts(0).campaign_id(), "c-gift");
  EXPECT_EQ(confirmed.gifts(0).campaign_version(), 2);
  EXPECT_EQ(confirmed.gifts(0).rule_id(), "r1");
}

TEST_F(PosStoreTest, StalledConfirmationsAreListedAndRevertible) {
  Receipt receipt = Calculated("ST-1");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "st").ok());
  auto stalled = store_.ListStalled(absl::ZeroDuration(), 100);
  ASSERT_TRUE(stalled.ok()) << stalled.status();
  bool listed = false;
  for (const StalledWork& work : *stalled) listed |= work.id == receipt.receipt_id;
  EXPECT_TRUE(listed);
  ASSERT_TRUE(store_.RevertConfirm(kProgram, receipt.receipt_id).ok());
  auto back = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, ReceiptState::kCalculated);
  // Its request id is free again for the confirmation that follows.
  EXPECT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "st").ok());
}

TEST_F(PosStoreTest, OtherStoresReceiptsAreHiddenFromBoundCredentials) {
  Receipt receipt = Calculated("B-1");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  const std::string elsewhere = "aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff";
  EXPECT_EQ(store_.BeginConfirm(kProgram, elsewhere, receipt.receipt_id, "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.Cancel(kProgram, elsewhere, receipt.receipt_id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_.Cancel(kProgram, store_id_, receipt.receipt_id).ok());
}

TEST_F(PosStoreTest, RefundsArePlannedOnceAndNeverExceedTheReceipt) {
  Receipt receipt = Calculated("R-1");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, {}).ok());

  // Two tills race to return the same last unit under different ids.
  auto first = store_.BeginRefund(kProgram, "", receipt.receipt_id, "refund-a", {{1, "1"}});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->plan.points_to_reverse, 5);
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      if (store_
              .BeginRefund(kProgram, "", receipt.receipt_id, "race-" + std::to_string(i),
                           {{1, "1"}})
              .ok()) {
        ++succeeded;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded, 1);
  auto replay = store_.BeginRefund(kProgram, "", receipt.receipt_id, "refund-a", {{1, "1"}});
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->refund_id, first->refund_id);
  EXPECT_EQ(Count(absl::StrCat("SELECT refunded_quantity_milli FROM pos.receipt_lines"
                               " WHERE receipt_id = '",
                               receipt.receipt_id, "'")),
            2000);
  auto finished = store_.FinishRefund(kProgram, first->refund_id, 5, 0, Balance{});
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->state, RefundState::kDone);
}

// POS-5: a confirmed receipt is cancelled by one cancel refund of what
// refunds left, however many tills ask at once; its completion makes the
// receipt CANCELLED with its event, once.
TEST_F(PosStoreTest, CancelOfAConfirmedReceiptIsOneRefundOfTheRest) {
  Receipt receipt = Calculated("R-CANCEL");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, {}).ok());
  auto partial = store_.BeginRefund(kProgram, "", receipt.receipt_id, "cancel-partial", {{1, "1"}});
  ASSERT_TRUE(partial.ok()) << partial.status();
  ASSERT_TRUE(store_.FinishRefund(kProgram, partial->refund_id, 5, 0, Balance{}).ok());

  // Another store's credentials do not see it.
  EXPECT_EQ(store_.Cancel(kProgram, "aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff", receipt.receipt_id)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  std::vector<std::string> refund_ids(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto cancelled = store_.Cancel(kProgram, store_id_, receipt.receipt_id);
      if (cancelled.ok() && cancelled->refund) refund_ids[i] = cancelled->refund->refund_id;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(refund_ids[0].empty());
  for (const std::string& id : refund_ids) EXPECT_EQ(id, refund_ids[0]);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM pos.refunds WHERE receipt_id = '",
                               receipt.receipt_id, "' AND cancels_receipt")),
            1);
  auto pending = store_.GetRefund(kProgram, refund_ids[0]);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_TRUE(pending->cancels_receipt);
  EXPECT_EQ(pending->state, RefundState::kPending);
  // Only the unit the partial refund left, and its 5 points.
  ASSERT_EQ(pending->plan.lines.size(), 1u);
  EXPECT_EQ(pending->plan.lines[0].quantity_milli, 1000);
  EXPECT_EQ(pending->plan.points_to_reverse, 5);
  // Not cancelled until the reversal is done; no more refunds meanwhile.
  auto before = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->state, ReceiptState::kConfirmed);
  auto late = store_.BeginRefund(kProgram, "", receipt.receipt_id, "cancel-late", {{1, "1"}});
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(late.status()), "receipt_id");
  auto stalled = store_.ListStalled(absl::ZeroDuration(), 100);
  ASSERT_TRUE(stalled.ok());
  EXPECT_TRUE(std::any_of(stalled->begin(), stalled->end(), [&](const StalledWork& work) {
    return work.kind == StalledWork::Kind::kRefund && work.id == refund_ids[0];
  }));

  const int64_t events = Count("SELECT count(*) FROM pos.outbox");
  ASSERT_TRUE(store_.FinishRefund(kProgram, refund_ids[0], 5, 0, Balance{}).ok());
  ASSERT_TRUE(store_.FinishRefund(kProgram, refund_ids[0], 5, 0, Balance{}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM pos.outbox"), events + 1);
  auto event =
      LastEvent<v1::ReceiptRefunded>(*server_, "loyalty.pos.v1.ReceiptRefunded", refund_ids[0]);
  EXPECT_TRUE(event.receipt_cancelled());
  EXPECT_EQ(event.points_to_reverse(), 5);
  auto after = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, ReceiptState::kCancelled);
  EXPECT_TRUE(after->cancel_time.has_value());
  // A retry answers the done refund with the cancelled receipt.
  auto retried = store_.Cancel(kProgram, "", receipt.receipt_id);
  ASSERT_TRUE(retried.ok()) << retried.status();
  ASSERT_TRUE(retried->refund.has_value());
  EXPECT_EQ(retried->refund->refund_id, refund_ids[0]);
  EXPECT_EQ(retried->refund->state, RefundState::kDone);
  EXPECT_EQ(retried->receipt.state, ReceiptState::kCancelled);
  // Once cancelled, a refund is refused naming the receipt.
  auto refused = store_.BeginRefund(kProgram, "", receipt.receipt_id, "after-cancel", {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused.status()), "receipt_id");
}

TEST_F(PosStoreTest, ACancelWaitsForARefundStillBeingFinished) {
  Receipt receipt = Calculated("R-CANCEL-WAIT");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, {}).ok());
  auto partial = store_.BeginRefund(kProgram, "", receipt.receipt_id, "wait-partial", {{1, "1"}});
  ASSERT_TRUE(partial.ok()) << partial.status();
  // The partial refund is PENDING (its ledger call failed, say): its event
  // would follow the cancel's, so the cancel is to be asked again.
  auto early = store_.Cancel(kProgram, "", receipt.receipt_id);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ViolatedField(early.status()), "receipt_id");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM pos.refunds WHERE receipt_id = '",
                               receipt.receipt_id, "' AND cancels_receipt")),
            0);
  ASSERT_TRUE(store_.FinishRefund(kProgram, partial->refund_id, 5, 0, Balance{}).ok());
  auto cancelled = store_.Cancel(kProgram, "", receipt.receipt_id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  ASSERT_TRUE(cancelled->refund.has_value());
  EXPECT_EQ(cancelled->refund->plan.lines.size(), 1u);
}

TEST_F(PosStoreTest, AReceiptRefundedWhollyOrBeingConfirmedIsNotCancelled) {
  Receipt receipt = Calculated("R-ALLBACK");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  auto confirming = store_.Cancel(kProgram, "", receipt.receipt_id);
  EXPECT_EQ(confirming.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(confirming.status()), "receipt_id");
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, {}).ok());
  ASSERT_TRUE(store_.BeginRefund(kProgram, "", receipt.receipt_id, "allback", {}).ok());
  auto cancelled = store_.Cancel(kProgram, "", receipt.receipt_id);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(cancelled.status()), "receipt_id");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM pos.refunds WHERE receipt_id = '",
                               receipt.receipt_id, "' AND cancels_receipt")),
            0);
}

TEST_F(PosStoreTest, ACalculatedReceiptIsCancelledWithItsTime) {
  Receipt receipt = Calculated("R-CALC-CANCEL");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto cancelled = store_.Cancel(kProgram, "", receipt.receipt_id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->receipt.state, ReceiptState::kCancelled);
  EXPECT_FALSE(cancelled->refund.has_value());
  ASSERT_TRUE(cancelled->receipt.cancel_time.has_value());
  auto read = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->cancel_time, cancelled->receipt.cancel_time);
}

// POS-4: the policy is the program's when the refund is begun; a retry
// after the settings changed still sees it, and the event says what
// became of the points.
TEST_F(PosStoreTest, RefundKeepsThePolicyOfItsTimeAndSaysWhatHappened) {
  auto set_policy = [&](RefundShortfallPolicy policy, int64_t floor) {
    ASSERT_TRUE(store_
                    .UpdateSettings(kProgram,
                                    [&](PosSettings& settings) {
                                      settings.refund_shortfall_policy = policy;
                                      settings.refund_negative_floor = floor;
                                      return absl::OkStatus();
                                    })
                    .ok());
  };
  Receipt receipt = Calculated("R-POS4");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, {}).ok());

  set_policy(RefundShortfallPolicy::kNegativeBalance, 300);
  auto begun = store_.BeginRefund(kProgram, "", receipt.receipt_id, "refund-pos4", {{1, "2"}});
  set_policy(RefundShortfallPolicy::kCap, 0);  // also what the other tests expect
  ASSERT_TRUE(begun.ok()) << begun.status();
  EXPECT_EQ(begun->shortfall_policy, RefundShortfallPolicy::kNegativeBalance);
  EXPECT_EQ(begun->negative_floor, 300);
  auto retried = store_.BeginRefund(kProgram, "", receipt.receipt_id, "refund-pos4", {{1, "2"}});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->shortfall_policy, RefundShortfallPolicy::kNegativeBalance);
  EXPECT_EQ(retried->negative_floor, 300);

  // 10 to take back: 3 from the balance, 4 below zero, 3 forgiven.
  ASSERT_EQ(begun->plan.points_to_reverse, 10);
  auto finished = store_.FinishRefund(kProgram, begun->refund_id, 7, 4, Balance{});
  ASSERT_TRUE(finished.ok()) << finished.status();
  auto stored = store_.GetRefund(kProgram, begun->refund_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->points_reversed, 7);
  EXPECT_EQ(stored->points_into_negative, 4);
  EXPECT_EQ(stored->points_reversed_from_balance(), 3);
  EXPECT_EQ(stored->points_forgiven(), 3);
  auto event =
      LastEvent<v1::ReceiptRefunded>(*server_, "loyalty.pos.v1.ReceiptRefunded", begun->refund_id);
  EXPECT_EQ(event.points_to_reverse(), 10);
  EXPECT_EQ(event.points_reversed(), 7);
  EXPECT_EQ(event.points_into_negative(), 4);
  EXPECT_EQ(event.points_forgiven(), 3);
  EXPECT_EQ(event.shortfall_policy(), "NEGATIVE_BALANCE");
}

TEST_F(PosStoreTest, PromoCodesAreKeptWithTheCalculationAndReplacedByTheNext) {
  Receipt receipt = Calculated("R-PROMO");
  receipt.promo_codes = {{.code = "SPRING",
                          .outcome = PromoCodeOutcome::kApplied,
                          .campaign_id = "c-1",
                          .reservation_id = "r:1:ab:SPRING",
                          .pool_id = "pool-1"},
                         {.code = "OLD",
                          .outcome = PromoCodeOutcome::kExpired,
                          .reason = "this code has expired"}};
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto read = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->promo_codes.size(), 2u);
  EXPECT_EQ(read->promo_codes[0].code, "SPRING");
  EXPECT_EQ(read->promo_codes[0].outcome, PromoCodeOutcome::kApplied);
  EXPECT_EQ(read->promo_codes[0].campaign_id, "c-1");
  EXPECT_EQ(read->promo_codes[0].reservation_id, "r:1:ab:SPRING");
  EXPECT_EQ(read->promo_codes[0].pool_id, "pool-1");
  EXPECT_EQ(read->promo_codes[1].outcome, PromoCodeOutcome::kExpired);
  EXPECT_EQ(read->promo_codes[1].reason, "this code has expired");

  // Confirm and the recovery task read them back with the receipt.
  auto confirming = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "q-promo");
  ASSERT_TRUE(confirming.ok()) << confirming.status();
  EXPECT_EQ(confirming->promo_codes.size(), 2u);
  ASSERT_TRUE(store_.RevertConfirm(kProgram, receipt.receipt_id).ok());

  // A recalculation replaces them.
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  receipt.calculation = 2;
  receipt.promo_codes = {{.code = "OTHER", .outcome = PromoCodeOutcome::kUnknown}};
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto found = store_.FindByNumber(kProgram, store_id_, "R-PROMO");
  ASSERT_TRUE(found.ok() && found->has_value());
  ASSERT_EQ((*found)->promo_codes.size(), 1u);
  EXPECT_EQ((*found)->promo_codes[0].code, "OTHER");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM pos.receipt_promo_codes WHERE receipt_id = '",
                               receipt.receipt_id, "'")),
            1);
}

}  // namespace
}  // namespace loyalty::pos
