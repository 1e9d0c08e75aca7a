// The product catalogue (POS-9) through the real gateway over HTTP: a
// category tree (no cycles), products created (and replayed), read by a
// till, listed by category with descendants and by prefix, changed with an
// update mask and archived; the batch upsert is all or nothing, names the
// bad product by index, and a retried batch changes nothing.

#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/pos/v1/catalogue_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace v1 = ::loyalty::pos::v1;

class PosCatalogueTest : public SharedStackTest {
 protected:
  static std::vector<std::string> Skus(const std::string& query) {
    std::vector<std::string> skus;
    std::string token;
    do {
      http::Response page =
          Pos("GET", absl::StrCat("/v1/products?pageSize=2&", query, "&pageToken=", token));
      EXPECT_EQ(page.status, 200) << page.body;
      if (page.status != 200) break;
      auto parsed = Parse<v1::ListProductsResponse>(page.body);
      for (const v1::Product& product : parsed.products()) skus.push_back(product.sku());
      token = parsed.next_page_token();
    } while (!token.empty());
    return skus;
  }
};

TEST_F(PosCatalogueTest, CategoriesProductsAndBatchUpsert) {
  const std::string s = UniqueDigits(6);
  auto category = [&](const std::string& id, const std::string& parent) {
    http::Response created = Admin(
        "POST", absl::StrCat("/v1/productCategories?requestId=cat-", id, s),
        absl::StrCat(R"({"categoryId": ")", id, s, R"(", "name": ")", id, R"(", "parentId": ")",
                     parent.empty() ? "" : parent + s, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    return Parse<v1::Category>(created.body);
  };
  category("food", "");
  category("dairy", "food");
  const v1::Category cheese = category("cheese", "dairy");
  EXPECT_EQ(cheese.depth(), 3);
  // Replayed, the same category; under its own descendant, refused.
  EXPECT_EQ(category("cheese", "dairy").create_time().seconds(), cheese.create_time().seconds());
  http::Response cycle =
      Admin("PATCH", absl::StrCat("/v1/productCategories/food", s, "?updateMask=parentId"),
            absl::StrCat(R"({"parentId": "cheese)", s, R"("})"));
  EXPECT_EQ(cycle.status, 400) << cycle.body;
  EXPECT_THAT(cycle.body, HasSubstr("category.parent_id"));

  const std::string milk_body =
      absl::StrCat(R"({"sku": "milk)", s, R"(", "name": "Milk", "categoryId": "dairy)", s,
                   R"(", "barcodes": ["4600000000017"], "unit": "PRODUCT_UNIT_PIECE",)",
                   R"( "basePrice": "8990"})");
  http::Response created =
      Admin("POST", absl::StrCat("/v1/products?requestId=milk", s), milk_body);
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::Product milk = Parse<v1::Product>(created.body);
  EXPECT_EQ(milk.base_price(), 8990);
  // A replay returns the first result; the same sku again is a conflict.
  EXPECT_EQ(Admin("POST", absl::StrCat("/v1/products?requestId=milk", s), milk_body).status, 200);
  EXPECT_EQ(Admin("POST", "/v1/products", milk_body).status, 409);
  http::Response read = Pos("GET", absl::StrCat("/v1/products/milk", s));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_THAT(Parse<v1::Product>(read.body).barcodes(), ElementsAre("4600000000017"));

  // A batch with one bad product stores nothing and names it.
  const std::string batch_body = absl::StrCat(
      R"({"products": [)",
      R"({"sku": "brie)", s, R"(", "name": "Brie", "categoryId": "cheese)", s,
      R"(", "unit": "PRODUCT_UNIT_WEIGHT"},)",
      R"({"sku": "cig)", s, R"(", "name": "Cigarettes", "noDiscount": true, "noAccrual": true,)",
      R"( "noRedemption": true},)",
      R"({"sku": "bread)", s, R"(", "name": "Bread", "categoryId": "food)", s, R"("}]})");
  std::string bad_body = batch_body;
  bad_body.replace(bad_body.find(R"("name": "Bread")"), 15, R"("name": "  ")");
  http::Response refused = Admin("POST", "/v1/products:batchUpsert", bad_body);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("products[2].name"));
  EXPECT_EQ(Admin("GET", absl::StrCat("/v1/products/brie", s)).status, 404);

  http::Response upserted = Admin("POST", "/v1/products:batchUpsert", batch_body);
  ASSERT_EQ(upserted.status, 200) << upserted.body;
  EXPECT_EQ(Parse<v1::BatchUpsertProductsResponse>(upserted.body).created(), 3);
  http::Response retried = Admin("POST", "/v1/products:batchUpsert", batch_body);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Parse<v1::BatchUpsertProductsResponse>(retried.body).unchanged(), 3);
  EXPECT_EQ(Pos("POST", "/v1/products:batchUpsert", batch_body).status, 403);

  EXPECT_THAT(Skus(absl::StrCat("categoryId=food", s)),
              ElementsAre(absl::StrCat("bread", s), absl::StrCat("brie", s),
                          absl::StrCat("milk", s)));
  EXPECT_THAT(Skus(absl::StrCat("categoryId=dairy", s)),
              ElementsAre(absl::StrCat("brie", s), absl::StrCat("milk", s)));
  EXPECT_THAT(Skus(absl::StrCat("prefix=cig", s)), ElementsAre(absl::StrCat("cig", s)));

  http::Response archived =
      Admin("PATCH", absl::StrCat("/v1/products/milk", s, "?updateMask=archived,basePrice"),
            R"({"archived": true})");
  ASSERT_EQ(archived.status, 200) << archived.body;
  EXPECT_TRUE(Parse<v1::Product>(archived.body).archived());
  EXPECT_FALSE(Parse<v1::Product>(archived.body).has_base_price());
  EXPECT_THAT(Skus(absl::StrCat("categoryId=dairy", s)), ElementsAre(absl::StrCat("brie", s)));
  http::Response bad_price =
      Admin("PATCH", absl::StrCat("/v1/products/brie", s, "?updateMask=basePrice"),
            R"({"basePrice": "-5"})");
  EXPECT_EQ(bad_price.status, 400) << bad_price.body;
  EXPECT_THAT(bad_price.body, HasSubstr("product.base_price"));

  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/catalogue.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(Send("GET", absl::StrCat("/v1/products/brie", s), "", other->api_key).status, 404);
  EXPECT_EQ(
      Send("GET", absl::StrCat("/v1/productCategories/food", s), "", other->api_key).status, 404);
}

TEST_F(PosCatalogueTest, ImportFromCsvIsAllOrNoneAndKeepsColumnsLeftOut) {
  const std::string s = UniqueDigits(6);
  ASSERT_EQ(Admin("POST", absl::StrCat("/v1/productCategories?requestId=imp-", s),
                  absl::StrCat(R"({"categoryId": "drinks)", s, R"(", "name": "Drinks"})"))
                .status,
            200);
  auto import = [&](const std::string& csv, bool validate_only) {
    v1::ImportProductsRequest request;
    request.set_csv(csv);
    request.set_validate_only(validate_only);
    return Admin("POST", "/v1/products:import", ToJson(request));
  };
  const std::string file = absl::StrCat(
      "sku;name;category_id;barcodes;base_price;no_discount\n",
      "juice", s, ";Apple juice;drinks", s, ";4600000000017;15990;no\n",
      "beer", s, ";\"Lager; 0.5\";drinks", s, ";;9990;yes\n");

  http::Response checked = import(file, true);
  ASSERT_EQ(checked.status, 200) << checked.body;
  EXPECT_EQ(Parse<v1::ImportProductsResponse>(checked.body).created(), 2);
  EXPECT_EQ(Admin("GET", absl::StrCat("/v1/products/juice", s)).status, 404);

  http::Response imported = import(file, false);
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_EQ(Parse<v1::ImportProductsResponse>(imported.body).created(), 2);
  http::Response again = import(file, false);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<v1::ImportProductsResponse>(again.body).unchanged(), 2);
  auto beer = Parse<v1::Product>(Pos("GET", absl::StrCat("/v1/products/beer", s)).body);
  EXPECT_EQ(beer.name(), "Lager; 0.5");
  EXPECT_TRUE(beer.no_discount());

  // A price list changes the prices only.
  http::Response prices =
      import(absl::StrCat("sku,name,base_price\njuice", s, ",Apple juice 1L,16990\n"), false);
  ASSERT_EQ(prices.status, 200) << prices.body;
  EXPECT_EQ(Parse<v1::ImportProductsResponse>(prices.body).updated(), 1);
  auto juice = Parse<v1::Product>(Pos("GET", absl::StrCat("/v1/products/juice", s)).body);
  EXPECT_EQ(juice.base_price(), 16990);
  EXPECT_EQ(juice.category_id(), absl::StrCat("drinks", s));
  EXPECT_EQ(juice.barcodes_size(), 1);

  // One bad row (an unknown category) refuses the file, naming its line.
  http::Response refused = import(absl::StrCat("sku,name,category_id\nwater", s,
                                                ",Water,drinks", s, "\nsoda", s, ",Soda,nope",
                                                s, "\n"),
                                   false);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("line 3, category_id"));
  EXPECT_EQ(Admin("GET", absl::StrCat("/v1/products/water", s)).status, 404);
  http::Response unknown_column = import("sku,name,colour\nx,y,red\n", false);
  EXPECT_EQ(unknown_column.status, 400) << unknown_column.body;
  EXPECT_THAT(unknown_column.body, HasSubstr("colour"));
  EXPECT_EQ(Pos("POST", "/v1/products:import", "{}").status, 403);
}

}  // namespace
}  // namespace loyalty::e2e
