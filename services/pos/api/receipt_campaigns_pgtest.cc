// Campaign pricing over a real catalogue and store (PostgreSQL) and a
// snapshot from a fake campaigns source: categories come from the
// catalogue, no_discount products are left alone, the store's partner and
// channel reach the engine, and without campaigns the cashier is told.

#include "gtest/gtest.h"
#include "services/pos/api/receipt_campaigns.h"
#include "services/pos/domain/test_campaigns.h"
#include "services/pos/storage/catalogue_store.h"
#include "services/pos/storage/pos_database_test.h"
#include "services/pos/storage/pos_store.h"

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
                                  PosSettings{.accrual_rate_bp = 1000}, lines, {});
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
                                  PosSettings{}, lines, {});
  ASSERT_TRUE(pricing.ok()) << pricing.status();
  EXPECT_EQ(lines[0].discount, 0);
  EXPECT_EQ(pricing->messages,
            std::vector<std::string>{"Campaigns are unavailable: priced without campaigns"});
}

}  // namespace
}  // namespace loyalty::pos
