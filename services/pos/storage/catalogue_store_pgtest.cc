// The product catalogue against a real PostgreSQL: the category tree
// (depth limit, no cycles, moves carry their subtree), products by sku with
// filters and pages, and the all-or-nothing batch upsert whose retries
// change nothing.

#include "services/pos/storage/catalogue_store.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/testing/migrated_database.h"
#include "services/pos/storage/pos_database_test.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {
namespace {

constexpr char kOtherProgram[] = "49999999-2222-4333-8444-555555555555";

class CatalogueStoreTest : public PosDatabaseTest {
 protected:

  // Each test gets a program of its own.
  void SetUp() override {
    static int counter = 0;
    char id[37];
    std::snprintf(id, sizeof(id), "41111111-2222-4333-8444-%012d", ++counter);
    program_ = id;
  }

  Category MustCreate(const std::string& id, const std::string& parent = "") {
    auto created = catalogue_.CreateCategory(
        program_, Category{.category_id = id, .name = absl::StrCat("Category ", id),
                           .parent_id = parent},
        "");
    EXPECT_TRUE(created.ok()) << id << ": " << created.status();
    return created.ok() ? *created : Category{};
  }

  int64_t Events() {
    auto value = testing::QueryInt(
        *pool_, absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_,
                             "' AND event_type = 'loyalty.pos.v1.ProductUpserted'"));
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }

  std::vector<std::string> Skus(const ProductFilter& filter) {
    std::vector<std::string> skus;
    std::string token;
    do {
      auto page = catalogue_.ListProducts(program_, filter, 2, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const Product& product : page->products) skus.push_back(product.sku);
      token = page->next_page_token;
    } while (!token.empty());
    return skus;
  }

  CatalogueStore catalogue_{*pool_};
  std::string program_;
};


TEST_F(CatalogueStoreTest, TreeHasADepthLimitAndNoCycles) {
  MustCreate("l1");
  for (int level = 2; level <= kMaxCategoryDepth; ++level) {
    Category created = MustCreate(absl::StrCat("l", level), absl::StrCat("l", level - 1));
    EXPECT_EQ(created.depth, level);
  }
  auto too_deep = catalogue_.CreateCategory(
      program_, Category{.category_id = "l9", .name = "L9", .parent_id = "l8"}, "");
  EXPECT_EQ(ViolatedField(too_deep.status()), "category.parent_id");

  // A category may not move under itself or a descendant.
  auto cycle = catalogue_.UpdateCategory(program_, "l2", [](Category& c) {
    c.parent_id = "l5";
    return absl::OkStatus();
  });
  EXPECT_EQ(ViolatedField(cycle.status()), "category.parent_id");
  // Shallow enough for the depth limit, still a cycle.
  MustCreate("top");
  MustCreate("below", "top");
  auto shallow_cycle = catalogue_.UpdateCategory(program_, "top", [](Category& c) {
    c.parent_id = "below";
    return absl::OkStatus();
  });
  EXPECT_EQ(ViolatedField(shallow_cycle.status()), "category.parent_id");
  EXPECT_EQ(catalogue_.GetCategory(program_, "top")->parent_id, "");
  // Moving l2 (a subtree of 7 levels) under another root's child is too deep.
  MustCreate("other");
  MustCreate("other-child", "other");
  auto deep_move = catalogue_.UpdateCategory(program_, "l2", [](Category& c) {
    c.parent_id = "other-child";
    return absl::OkStatus();
  });
  EXPECT_EQ(ViolatedField(deep_move.status()), "category.parent_id");
  // Moving l7 (l7, l8) there is fine, and the depths follow.
  auto moved = catalogue_.UpdateCategory(program_, "l7", [](Category& c) {
    c.parent_id = "other-child";
    return absl::OkStatus();
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->depth, 3);
  EXPECT_EQ(catalogue_.GetCategory(program_, "l8")->depth, 4);
  EXPECT_EQ(catalogue_.GetCategory(kOtherProgram, "l8").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CatalogueStoreTest, CategoriesAreIdempotentAndArchivedOnesTakeNoChildren) {
  auto a = catalogue_.CreateCategory(program_, Category{.name = "Drinks"}, "req-1");
  auto b = catalogue_.CreateCategory(program_, Category{.name = "Drinks"}, "req-1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->category_id, b->category_id);
  auto taken = catalogue_.CreateCategory(
      program_, Category{.category_id = a->category_id, .name = "Again"}, "");
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(catalogue_
                  .UpdateCategory(program_, a->category_id,
                                  [](Category& c) {
                                    c.archived = true;
                                    return absl::OkStatus();
                                  })
                  .ok());
  auto child = catalogue_.CreateCategory(
      program_, Category{.name = "Juice", .parent_id = a->category_id}, "");
  EXPECT_EQ(ViolatedField(child.status()), "category.parent_id");
  auto listed = catalogue_.ListCategories(program_, "", 50, "", false);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->categories.empty());
}

TEST_F(CatalogueStoreTest, ProductsFilterByCategoryTreeAndPrefixInPages) {
  MustCreate("food");
  MustCreate("dairy", "food");
  MustCreate("cheese", "dairy");
  MustCreate("tobacco");
  const std::vector<Product> products = {
      {.sku = "100", .name = "Milk", .category_id = "dairy"},
      {.sku = "101", .name = "Brie", .category_id = "cheese", .unit = ProductUnit::kWeight},
      {.sku = "102", .name = "Bread", .category_id = "food"},
      {.sku = "200", .name = "Cigarettes", .category_id = "tobacco", .no_discount = true},
      {.sku = "300", .name = "Bag"},
  };
  auto counts = catalogue_.UpsertProducts(program_, products);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->created, 5);

  EXPECT_EQ(Skus({.category_id = "food"}), (std::vector<std::string>{"100", "101", "102"}));
  EXPECT_EQ(Skus({.category_id = "dairy"}), (std::vector<std::string>{"100", "101"}));
  EXPECT_EQ(Skus({.prefix = "b"}), (std::vector<std::string>{"101", "102", "300"}));
  EXPECT_EQ(Skus({.prefix = "10"}), (std::vector<std::string>{"100", "101", "102"}));
  EXPECT_EQ(Skus({}).size(), 5u);
  EXPECT_EQ(Skus({.category_id = "nothing"}).size(), 0u);

  auto archived = catalogue_.UpdateProduct(program_, "300", [](Product& p) {
    p.archived = true;
    return absl::OkStatus();
  });
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(Skus({}).size(), 4u);
  EXPECT_EQ(Skus({.show_archived = true}).size(), 5u);
  auto brie = catalogue_.GetProduct(program_, "101");
  ASSERT_TRUE(brie.ok());
  EXPECT_EQ(brie->unit, ProductUnit::kWeight);
  EXPECT_EQ(catalogue_.GetProduct(kOtherProgram, "101").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CatalogueStoreTest, BatchUpsertIsAllOrNothingAndRetriesChangeNothing) {
  MustCreate("tobacco");
  MustCreate("old");
  ASSERT_TRUE(catalogue_
                  .UpdateCategory(program_, "old",
                                  [](Category& c) {
                                    c.archived = true;
                                    return absl::OkStatus();
                                  })
                  .ok());
  std::vector<Product> batch = {
      {.sku = "a", .name = "A", .barcodes = {"4600000000017"}, .base_price = 100},
      {.sku = "b", .name = "B", .category_id = "tobacco", .no_accrual = true},
      {.sku = "c", .name = "C", .category_id = "old"},
  };
  auto refused = catalogue_.UpsertProducts(program_, batch);
  EXPECT_EQ(ViolatedField(refused.status()), "products[2].category_id");
  batch[2].category_id = "missing";
  EXPECT_EQ(ViolatedField(catalogue_.UpsertProducts(program_, batch).status()),
            "products[2].category_id");
  EXPECT_EQ(Skus({.show_archived = true}).size(), 0u);
  EXPECT_EQ(Events(), 0);

  batch[2].category_id = "";
  auto first = catalogue_.UpsertProducts(program_, batch);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->created, 3);
  EXPECT_EQ(Events(), 3);
  auto retry = catalogue_.UpsertProducts(program_, batch);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->unchanged, 3);
  EXPECT_EQ(Events(), 3);

  batch[0].base_price.reset();
  batch[1].barcodes = {"1", "2"};
  auto changed = catalogue_.UpsertProducts(program_, batch);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->updated, 2);
  EXPECT_EQ(changed->unchanged, 1);
  EXPECT_EQ(Events(), 5);
  auto a = catalogue_.GetProduct(program_, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->base_price.has_value());
  EXPECT_EQ(a->barcodes, (std::vector<std::string>{"4600000000017"}));
  EXPECT_EQ(catalogue_.GetProduct(program_, "b")->barcodes, (std::vector<std::string>{"1", "2"}));
}

TEST_F(CatalogueStoreTest, CreateProductIsIdempotentAndChecksItsCategory) {
  MustCreate("snacks");
  Product chips{.sku = "chips", .name = "Chips", .category_id = "snacks"};
  auto first = catalogue_.CreateProduct(program_, chips, "req-chips");
  auto again = catalogue_.CreateProduct(program_, chips, "req-chips");
  ASSERT_TRUE(first.ok() && again.ok()) << first.status() << again.status();
  EXPECT_EQ(Events(), 1);
  auto taken = catalogue_.CreateProduct(program_, chips, "");
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(taken.status()), "product.sku");
  Product lost{.sku = "lost", .name = "Lost", .category_id = "nowhere"};
  EXPECT_EQ(ViolatedField(catalogue_.CreateProduct(program_, lost, "").status()),
            "product.category_id");
  auto unchanged = catalogue_.UpdateProduct(program_, "chips", [](Product&) {
    return absl::OkStatus();
  });
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(Events(), 1);
}

}  // namespace
}  // namespace loyalty::pos
