// Campaign pricing over a real catalogue and store (PostgreSQL) and a
// snapshot from a fake campaigns source: categories come from the
// catalogue, no_discount products are left alone, the store's partner and
// channel reach the engine, and without campaigns the cashier is told;
// member facts (a fake identity, pos's own receipts for the first
// purchase) reach campaigns for members.

#include "gtest/gtest.h"
#include "services/pos/api/receipt_campaigns.h"
#include "services/pos/domain/test_campaigns.h"
#include "services/pos/storage/catalogue_store.h"
#include "services/pos/storage/pos_database_test.h"
#include "services/pos/storage/pos_store.h"
#include "services/pos/storage/purchase_history.h"

namespace loyalty::pos {
namespace {

constexpr char kProgram[] = "43333333-2222-4333-8444-555555555555";

class FixedSource final : public CampaignSource {
 public:
  absl::StatusOr<Active> Load(const std::string&) override {
    if (!failure.ok()) return failure;
    return active;
  }
  Active active;
  absl::Status failure;
};

PricedLine Line(int32_t number, const std::string& sku, int64_t amount) {
  return {
      .line_number = number, .sku = sku, .quantity_milli = 1000, .price = amount, .amount = amount};
}

class ReceiptCampaignsTest : public PosDatabaseTest {
 protected:
  void SetUp() override {
    static bool created = false;
    if (!created) {
      ASSERT_TRUE(
          catalogue_.CreateCategory(kProgram, {.category_id = "dairy", .name = "Dairy"}, "").ok());
      ASSERT_TRUE(
          catalogue_
              .CreateProduct(kProgram, {.sku = "milk", .name = "Milk", .category_id = "dairy"}, "")
              .ok());
      ASSERT_TRUE(catalogue_
                      .CreateProduct(kProgram,
                                     {.sku = "formula",
                                      .name = "Infant formula",
                                      .category_id = "dairy",
                                      .no_discount = true},
                                     "")
                      .ok());
      created = true;
    }
    auto store = stores_.CreateStore(kProgram, Store{.name = "Main"}, "");
    ASSERT_TRUE(store.ok()) << store.status();
    store_id_ = store->store_id;
    source_.active = {{PercentOffCategory("c-dairy", 2, "dairy", 1000)}, 5};
  }

  PosStore stores_{*pool_};
  CatalogueStore catalogue_{*pool_};
  FixedSource source_;
  CampaignSnapshots snapshots_{source_, [] { return absl::FromUnixSeconds(1'800'000'000); }, {}};
  SnapshotReceiptCampaigns campaigns_{snapshots_, stores_, catalogue_};
  std::string store_id_;
};

TEST_F(ReceiptCampaignsTest, DiscountsTheCatalogueCategoryExceptNoDiscountProducts) {
  // The till says "bakery"; the catalogue knows milk is dairy.
  std::vector<PricedLine> lines = {Line(1, "milk", 10000), Line(2, "formula", 20000),
                                   Line(3, "bread", 3000)};
  lines[0].category = "bakery";
  auto pricing = campaigns_.Price(kProgram, store_id_, absl::FromUnixSeconds(1'800'000'000),
                                  PosSettings{.accrual_rate_bp = 1000}, nullptr, lines, {}, {});
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 1000);
  EXPECT_EQ(lines[1].discount, 0);
  EXPECT_EQ(lines[2].discount, 0);
  ASSERT_EQ(pricing->applied.size(), 1u);
  EXPECT_EQ(pricing->applied[0].campaign_id, "c-dairy");
  EXPECT_EQ(pricing->applied[0].campaign_version, 2);
  ASSERT_EQ(pricing->applied[0].lines.size(), 1u);
  EXPECT_EQ(pricing->applied[0].lines[0].line_number, 1);
}

TEST_F(ReceiptCampaignsTest, WithCampaignsDownAndNoSnapshotTheCashierIsTold) {
  source_.failure = absl::UnavailableError("campaigns down");
  std::vector<PricedLine> lines = {Line(1, "milk", 10000)};
  auto pricing = campaigns_.Price(kProgram, store_id_, absl::FromUnixSeconds(1'800'000'000),
                                  PosSettings{}, nullptr, lines, {}, {});
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(pricing->messages,
            std::vector<std::string>{"Campaigns are unavailable: priced without campaigns"});
}

TEST_F(ReceiptCampaignsTest, GiftsAreNamedFromTheCatalogueAndUnknownOnesReported) {
  promotions::Campaign gifts = PercentOffCategory("c-gift", 3, "dairy", 0, "Gift week");
  gifts.rules[0].effects = {
      promotions::GiftEffect{.sku = "milk", .quantity_milli = 1000},
      promotions::GiftEffect{.sku = "ghost", .quantity_milli = 2000, .price = 50}};
  source_.active = {{gifts}, 6};
  std::vector<PricedLine> lines = {Line(1, "milk", 10000)};
  auto pricing = campaigns_.Price(kProgram, store_id_, absl::FromUnixSeconds(1'800'000'000),
                                  PosSettings{}, nullptr, lines, {}, {});
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  ASSERT_EQ(pricing->gifts.size(), 2u);
  EXPECT_EQ(pricing->gifts[0].product_name, "Milk");
  EXPECT_TRUE(pricing->gifts[0].in_catalogue);
  EXPECT_EQ(pricing->gifts[0].campaign_version, 3);
  EXPECT_EQ(pricing->gifts[1].sku, "ghost");
  EXPECT_FALSE(pricing->gifts[1].in_catalogue);
  EXPECT_EQ(pricing->messages,
            (std::vector<std::string>{"Gift week", "Gift: 1 x Milk (milk), free",
                                      "Gift: 2 x ghost at 50 each (not in the catalogue)"}));
}

class FakeDirectory final : public MemberDirectory {
 public:
  absl::StatusOr<MemberProfile> GetProfile(const std::string&, const std::string&) override {
    ++calls;
    if (!failure.ok()) return failure;
    return profile;
  }
  MemberProfile profile;
  absl::Status failure;
  int calls = 0;
};

// Each suite has a database of its own, without ReceiptCampaignsTest's
// catalogue: the till's category is used.
PricedLine Milk() {
  PricedLine line = Line(1, "milk", 10000);
  line.category = "dairy";
  return line;
}

// Members only: 10% off dairy for gold cards (audience), 5% more on a
// first purchase (condition).
std::vector<promotions::Campaign> MemberCampaigns() {
  promotions::Campaign gold = PercentOffCategory("c-gold", 1, "dairy", 1000, "Gold day");
  gold.audience.levels = {"gold"};
  promotions::Campaign first = PercentOffCategory("c-first", 1, "dairy", 500, "Welcome");
  first.rules[0].conditions = {promotions::FirstPurchaseCondition{}};
  return {gold, first};
}

class MemberFactsTest : public ReceiptCampaignsTest {
 protected:
  void SetUp() override {
    ReceiptCampaignsTest::SetUp();
    source_.active = {MemberCampaigns(), 6};
  }

  absl::StatusOr<CampaignPricing> PriceFor(const CardInfo* card, std::vector<PricedLine>& lines) {
    return members_.Price(kProgram, store_id_, absl::FromUnixSeconds(1'800'000'000), PosSettings{},
                          card, lines, {}, {});
  }

  // A receipt paid with `card_number`, confirmed.
  void Confirm(const std::string& card_number, const std::string& receipt_id) {
    Receipt receipt;
    receipt.receipt_id = receipt_id;
    receipt.program_id = kProgram;
    receipt.store_id = store_id_;
    receipt.receipt_number = receipt_id;
    receipt.card_number = card_number;
    receipt.lines = {Milk()};
    receipt.total_amount = 10000;
    receipt.create_time = absl::Now();
    ASSERT_TRUE(stores_.SaveCalculation(receipt).ok());
    ASSERT_TRUE(stores_.BeginConfirm(kProgram, "", receipt_id, receipt_id + "-confirm").ok());
    ASSERT_TRUE(stores_.FinishConfirm(kProgram, receipt_id, Balance{}).ok());
  }

  FakeDirectory directory_;
  PgPurchaseHistory history_{*pool_};
  SnapshotReceiptCampaigns members_{snapshots_, stores_, catalogue_, &directory_, &history_};
};

TEST_F(MemberFactsTest, ALevelCampaignAppliesToItsLevelOnlyAndAFirstPurchaseOnce) {
  CardInfo gold{.number = "3000000000001", .active = true, .client_id = "c1", .level_id = "gold"};
  CardInfo silver{
      .number = "3000000000002", .active = true, .client_id = "c2", .level_id = "silver"};
  std::vector<PricedLine> lines = {Milk()};
  auto pricing = PriceFor(&gold, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 500 + 950);  // 5% (c-first), then 10% of what is left
  EXPECT_EQ(directory_.calls, 1);

  lines = {Milk()};
  pricing = PriceFor(&silver, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 500);  // first purchase only
  ASSERT_EQ(pricing->applied.size(), 1u);
  EXPECT_EQ(pricing->applied[0].campaign_id, "c-first");

  // Once a receipt with the card is confirmed, it is no first purchase;
  // another card's receipts do not count.
  Confirm(silver.number, "dddddddd-bbbb-4ccc-8ddd-000000000001");
  lines = {Milk()};
  pricing = PriceFor(&silver, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 0);
  lines = {Milk()};
  pricing = PriceFor(&gold, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 500 + 950);

  // No card: no member, no identity call.
  lines = {Milk()};
  pricing = PriceFor(nullptr, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(directory_.calls, 4);
}

TEST_F(MemberFactsTest, NoIdentityCallWhenNoCampaignReadsMemberFacts) {
  // Loaded at the first Price below, after this change.
  source_.active = {{PercentOffCategory("c-dairy", 2, "dairy", 1000)}, 5};
  CardInfo gold{.number = "3000000000001", .active = true, .client_id = "c1", .level_id = "gold"};
  std::vector<PricedLine> lines = {Milk()};
  auto pricing = PriceFor(&gold, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 1000);
  EXPECT_EQ(directory_.calls, 0);
}

TEST_F(MemberFactsTest, IdentityDownPricesWithoutMemberFactsAndTellsTheCashier) {
  directory_.failure = absl::UnavailableError("identity down");
  CardInfo gold{.number = "3000000000003", .active = true, .client_id = "c3", .level_id = "gold"};
  std::vector<PricedLine> lines = {Milk()};
  auto pricing = PriceFor(&gold, lines);
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(pricing->messages,
            std::vector<std::string>{
                "Member data is unavailable: priced without campaigns for members"});
}

}  // namespace
}  // namespace loyalty::pos
