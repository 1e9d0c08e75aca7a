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

}  // namespace
}  // namespace loyalty::e2e
