#include "services/pos/domain/product_import.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

ImportedProducts Import(absl::string_view csv,
                        const absl::flat_hash_map<std::string, Product>& stored = {}) {
  absl::StatusOr<ProductImportFile> file = ReadProductCsv(csv);
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? ProductsFromImport(*file, stored) : ImportedProducts{};
}

TEST(ProductImportTest, ReadsEveryColumnWhateverTheHeaderSpelling) {
  ImportedProducts imported = Import(
      "SKU;Name;Category ID;Barcodes;unit;basePrice;No_Discount;noAccrual;no redemption;archived\n"
      "A-1;Milk 3.2%;dairy;4600000000017 4600000000024;piece;8990;no;0;;false\n"
      "W-2;\"Cheese; hard\";dairy;;WEIGHT;120000;yes;1;true;no\n");
  ASSERT_TRUE(imported.errors.empty()) << imported.errors[0].message;
  ASSERT_EQ(imported.products.size(), 2u);
  const Product& milk = imported.products[0];
  EXPECT_EQ(milk.sku, "A-1");
  EXPECT_EQ(milk.name, "Milk 3.2%");
  EXPECT_EQ(milk.category_id, "dairy");
  EXPECT_EQ(milk.barcodes, (std::vector<std::string>{"4600000000017", "4600000000024"}));
  EXPECT_EQ(milk.base_price, 8990);
  EXPECT_FALSE(milk.no_discount || milk.no_accrual || milk.no_redemption || milk.archived);
  const Product& cheese = imported.products[1];
  EXPECT_EQ(cheese.name, "Cheese; hard");
  EXPECT_EQ(cheese.unit, ProductUnit::kWeight);
  EXPECT_TRUE(cheese.no_discount && cheese.no_accrual && cheese.no_redemption);
  EXPECT_EQ(imported.lines, (std::vector<int64_t>{2, 3}));
}

TEST(ProductImportTest, ColumnsLeftOutKeepTheStoredValues) {
  Product stored{.sku = "A-1",
                 .name = "Milk",
                 .category_id = "dairy",
                 .barcodes = {"4600000000017"},
                 .base_price = 8990,
                 .no_accrual = true};
  ImportedProducts imported =
      Import("sku,name,base_price\nA-1,Milk 1L,9490\nB-2,Bread,\n", {{"A-1", stored}});
  ASSERT_TRUE(imported.errors.empty());
  ASSERT_EQ(imported.products.size(), 2u);
  EXPECT_EQ(imported.products[0].base_price, 9490);
  EXPECT_EQ(imported.products[0].name, "Milk 1L");
  EXPECT_EQ(imported.products[0].category_id, "dairy");
  EXPECT_EQ(imported.products[0].barcodes, stored.barcodes);
  EXPECT_TRUE(imported.products[0].no_accrual);
  // A new product gets the defaults.
  EXPECT_EQ(imported.products[1].base_price, std::nullopt);
  EXPECT_TRUE(imported.products[1].category_id.empty());
}

TEST(ProductImportTest, EveryBadRowIsReportedByLineAndColumn) {
  ImportedProducts imported = Import(
      "sku,name,base_price,unit,no_discount\n"
      "A-1,Milk,12.50,piece,no\n"     // price not in minor units
      "A-2,Kefir,100,litre,no\n"      // unit
      "A-3,,100,piece,no\n"           // name required
      "A-4,Yogurt,100,piece,maybe\n"  // flag
      "A-5,Cream,100,piece\n"         // cells
      "A-6,Butter,-5,piece,no\n"      // negative price
      "A-7,Curd,100,piece,no\n"
      "A-7,Curd again,100,piece,no\n");  // repeated sku
  ASSERT_EQ(imported.errors.size(), 7u);
  EXPECT_EQ(imported.errors[0].line, 2);
  EXPECT_EQ(imported.errors[0].column, "base_price");
  EXPECT_EQ(imported.errors[1].column, "unit");
  EXPECT_EQ(imported.errors[2].line, 4);
  EXPECT_EQ(imported.errors[2].column, "name");
  EXPECT_EQ(imported.errors[3].column, "no_discount");
  EXPECT_EQ(imported.errors[4].column, "");
  EXPECT_EQ(imported.errors[5].column, "base_price");
  EXPECT_EQ(imported.errors[6].line, 9);
  EXPECT_EQ(imported.errors[6].message, "repeats line 8");
  absl::Status refused = ImportRefused(imported.errors);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(refused), "csv");
  EXPECT_NE(refused.message().find("7 rows refused, nothing imported: line 2, base_price:"),
            std::string::npos)
      << refused.message();
}

TEST(ProductImportTest, FilesThatAreNoCatalogueAreRefusedAsAWhole) {
  for (const char* csv : {"", "sku,price\nA,1\n", "sku,name,colour\nA,B,red\n",
                          "sku,name,price,base_price\nA,B,1,2\n", "sku,name\n",
                          "sku,name\n\"A,B\n"}) {
    absl::StatusOr<ProductImportFile> file = ReadProductCsv(csv);
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument) << csv;
    EXPECT_EQ(ViolatedField(file.status()), "csv") << csv;
  }
  std::string big = "sku,name\n";
  for (int i = 0; i <= kMaxImportProducts; ++i) big += "S" + std::to_string(i) + ",N\n";
  EXPECT_EQ(ReadProductCsv(big).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::pos
