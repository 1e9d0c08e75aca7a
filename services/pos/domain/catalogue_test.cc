#include "services/pos/domain/catalogue.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

Product Valid(const std::string& sku) {
  return Product{.sku = sku,
                 .name = " Cigarettes ",
                 .category_id = "tobacco",
                 .barcodes = {"4600000000017", "CODE-128.x"},
                 .unit = ProductUnit::kPiece,
                 .base_price = 25000,
                 .no_discount = true,
                 .no_accrual = true};
}

std::optional<std::string> FieldOf(Product product) {
  absl::Status status = ValidateProduct(product, "product");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return ViolatedField(status);
}

TEST(ValidateProductTest, AcceptsAProductAndTrimsItsName) {
  Product product = Valid("sku-1");
  ASSERT_TRUE(ValidateProduct(product, "product").ok());
  EXPECT_EQ(product.name, "Cigarettes");
  Product bare{.sku = "x", .name = "Bread"};
  EXPECT_TRUE(ValidateProduct(bare, "product").ok());
  Product free_gift{.sku = "gift", .name = "Gift", .base_price = 0};
  EXPECT_TRUE(ValidateProduct(free_gift, "product").ok());
}

TEST(ValidateProductTest, NamesTheBadField) {
  auto with = [](auto change) {
    Product product = Valid("s");
    change(product);
    return FieldOf(product);
  };
  EXPECT_EQ(with([](Product& p) { p.sku = ""; }), "product.sku");
  EXPECT_EQ(with([](Product& p) { p.sku = "a/b"; }), "product.sku");
  EXPECT_EQ(with([](Product& p) { p.name = "  "; }), "product.name");
  EXPECT_EQ(with([](Product& p) { p.category_id = "\t"; }), "product.category_id");
  EXPECT_EQ(with([](Product& p) { p.barcodes = {"46 00"}; }), "product.barcodes[0]");
  EXPECT_EQ(with([](Product& p) { p.barcodes = {"1", "2", "1"}; }), "product.barcodes[2]");
  EXPECT_EQ(with([](Product& p) { p.barcodes.assign(21, "1"); }), "product.barcodes");
  EXPECT_EQ(with([](Product& p) { p.base_price = -1; }), "product.base_price");
}

TEST(ValidateProductBatchTest, NamesTheProductByIndex) {
  std::vector<Product> empty;
  EXPECT_EQ(ViolatedField(ValidateProductBatch(empty)), "products");
  std::vector<Product> too_many(kMaxBatchProducts + 1, Valid("s"));
  for (size_t i = 0; i < too_many.size(); ++i) too_many[i].sku = absl::StrCat("s", i);
  EXPECT_EQ(ViolatedField(ValidateProductBatch(too_many)), "products");
  too_many.pop_back();
  EXPECT_TRUE(ValidateProductBatch(too_many).ok());

  std::vector<Product> bad = {Valid("a"), Valid("b"), Valid("c"), Valid("d")};
  bad[3].sku = "";
  EXPECT_EQ(ViolatedField(ValidateProductBatch(bad)), "products[3].sku");
  bad[3].sku = "b";
  absl::Status repeated = ValidateProductBatch(bad);
  EXPECT_EQ(ViolatedField(repeated), "products[3].sku");
  EXPECT_NE(repeated.message().find("products[1]"), std::string::npos) << repeated;
}

TEST(ValidateCategoryTest, RefusesBadIdsNamesAndSelfParents) {
  Category good{.category_id = "tobacco", .name = " Tobacco ", .parent_id = "adult"};
  ASSERT_TRUE(ValidateCategory(good, "category").ok());
  EXPECT_EQ(good.name, "Tobacco");
  Category generated{.name = "Root"};
  EXPECT_TRUE(ValidateCategory(generated, "category").ok());

  Category self{.category_id = "a", .name = "A", .parent_id = "a"};
  EXPECT_EQ(ViolatedField(ValidateCategory(self, "category")), "category.parent_id");
  Category nameless{.category_id = "a"};
  EXPECT_EQ(ViolatedField(ValidateCategory(nameless, "category")), "category.name");
  Category slash{.category_id = "a/b", .name = "A"};
  EXPECT_EQ(ViolatedField(ValidateCategory(slash, "category")), "category.category_id");
}

TEST(ProductTest, SameContentIgnoresTimesOnly) {
  Product a = Valid("s");
  Product b = a;
  b.update_time = absl::Now();
  EXPECT_TRUE(a.SameContent(b));
  b.no_redemption = true;
  EXPECT_FALSE(a.SameContent(b));
  b = a;
  b.base_price.reset();
  EXPECT_FALSE(a.SameContent(b));
}

}  // namespace
}  // namespace loyalty::pos
