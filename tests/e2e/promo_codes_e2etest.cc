// Promo codes (CMP-3) through the real gateway over HTTP: a marketer's
// admin key creates a UNIQUE pool and generates codes (a retry generates
// nothing more), a till's POS key reserves a code as the client typed it,
// consumes it at confirm and releases it at refund; a single-use code is
// refused to a second receipt with a readable reason; bad input is 400
// naming the field; another program's code is 404; a POS key cannot manage
// pools.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/campaigns/v1/promo_codes_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::campaigns::v1;

class PromoCodesTest : public SharedStackTest {};

TEST_F(PromoCodesTest, GenerateReserveConsumeRelease) {
  const std::string request_id = absl::StrCat("pool-", UniqueDigits(10));
  http::Response created =
      Admin("POST", "/v1/promoCodePools?requestId=" + request_id,
            R"({"name": "Autumn", "kind": "PROMO_CODE_POOL_KIND_UNIQUE", "maxUsesPerCode": 1})");
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::PromoCodePool pool = Parse<v1::PromoCodePool>(created.body);
  const std::string pool_path = "/v1/promoCodePools/" + pool.pool_id();

  const std::string generate = absl::StrCat(R"({"count": 50, "prefix": "aut", "requestId": "gen-)",
                                            UniqueDigits(10), R"("})");
  http::Response generated = Admin("POST", pool_path + ":generate", generate);
  ASSERT_EQ(generated.status, 200) << generated.body;
  EXPECT_EQ(Parse<v1::GenerateCodesResponse>(generated.body).generated(), 50);
  http::Response again = Admin("POST", pool_path + ":generate", generate);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<v1::GenerateCodesResponse>(again.body).code_count(), 50);

  http::Response listed = Admin("GET", pool_path + "/codes?pageSize=10");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const v1::ListCodesResponse codes = Parse<v1::ListCodesResponse>(listed.body);
  ASSERT_EQ(codes.codes_size(), 10);
  EXPECT_FALSE(codes.next_page_token().empty());
  const std::string code = codes.codes(0).code();
  EXPECT_THAT(code, ::testing::StartsWith("AUT"));
  EXPECT_EQ(Parse<v1::PromoCodePool>(Admin("GET", pool_path).body).code_count(), 50);

  // calculate: the till reserves the code as the client typed it.
  const std::string reservation_id = absl::StrCat("receipt-", UniqueDigits(10));
  const std::string reserve_body =
      absl::StrCat(R"({"reservationId": ")", reservation_id, R"(", "receiptReference": "R-1"})");
  const std::string typed = absl::AsciiStrToLower(code);
  http::Response reserved = Pos("POST", "/v1/promoCodes/" + typed + ":reserve", reserve_body);
  ASSERT_EQ(reserved.status, 200) << reserved.body;
  const v1::PromoCodeReservation reservation = Parse<v1::PromoCodeReservation>(reserved.body);
  EXPECT_EQ(reservation.state(), v1::PROMO_CODE_RESERVATION_STATE_RESERVED);
  EXPECT_EQ(reservation.code(), code);
  EXPECT_EQ(reservation.pool_id(), pool.pool_id());
  // A retried calculate holds no second use.
  http::Response retried = Pos("POST", "/v1/promoCodes/" + code + ":reserve", reserve_body);
  ASSERT_EQ(retried.status, 200) << retried.body;

  // Another receipt cannot have the single-use code meanwhile.
  http::Response taken =
      Pos("POST", "/v1/promoCodes/" + code + ":reserve",
          absl::StrCat(R"({"reservationId": "other-)", UniqueDigits(10), R"("})"));
  EXPECT_EQ(taken.status, 400) << taken.body;
  EXPECT_THAT(taken.body, HasSubstr("used up"));

  // confirm, twice (a retry).
  const std::string reservation_path = "/v1/promoCodeReservations/" + reservation_id;
  for (int attempt = 0; attempt < 2; ++attempt) {
    http::Response consumed = Pos("POST", reservation_path + ":consume", "{}");
    ASSERT_EQ(consumed.status, 200) << consumed.body;
    EXPECT_EQ(Parse<v1::PromoCodeReservation>(consumed.body).state(),
              v1::PROMO_CODE_RESERVATION_STATE_CONSUMED);
  }
  http::Response used = Admin("GET", "/v1/promoCodes/" + code);
  ASSERT_EQ(used.status, 200) << used.body;
  EXPECT_EQ(Parse<v1::PromoCode>(used.body).consumed_uses(), 1);
  EXPECT_EQ(Parse<v1::PromoCode>(used.body).status(), v1::PROMO_CODE_STATUS_EXHAUSTED);

  // refund: the use comes back.
  http::Response released = Pos("POST", reservation_path + ":release", "{}");
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(Parse<v1::PromoCodeReservation>(released.body).state(),
            v1::PROMO_CODE_RESERVATION_STATE_RELEASED);
  http::Response free_again = Admin("GET", "/v1/promoCodes/" + code);
  EXPECT_EQ(Parse<v1::PromoCode>(free_again.body).status(), v1::PROMO_CODE_STATUS_AVAILABLE);

  // Another program does not know the code or the pool.
  auto program = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/promo_codes.env"));
  ASSERT_TRUE(program.ok()) << program.status();
  http::Response foreign =
      Send("POST", "/v1/promoCodes/" + code + ":reserve",
           absl::StrCat(R"({"reservationId": "x-)", UniqueDigits(10), R"("})"), program->api_key);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_THAT(foreign.body, HasSubstr("code"));
  EXPECT_EQ(Send("GET", pool_path, "", program->api_key).status, 404);

  // A till key does not manage pools.
  EXPECT_EQ(Pos("POST", pool_path + ":generate", generate).status, 403);
}

TEST_F(PromoCodesTest, BadInputIs400NamingTheFieldAndStoresNothing) {
  http::Response no_kind = Admin("POST", "/v1/promoCodePools", R"({"name": "No kind"})");
  EXPECT_EQ(no_kind.status, 400) << no_kind.body;
  EXPECT_THAT(no_kind.body, HasSubstr("pool.kind"));

  http::Response created =
      Admin("POST", "/v1/promoCodePools",
            absl::StrCat(R"({"name": "Shared", "kind": "PROMO_CODE_POOL_KIND_SHARED", "code": "s)",
                         UniqueDigits(10), R"(", "maxUsesPerCode": 0})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::PromoCodePool pool = Parse<v1::PromoCodePool>(created.body);
  const std::string pool_path = "/v1/promoCodePools/" + pool.pool_id();

  http::Response too_many =
      Admin("POST", pool_path + ":generate", R"({"count": 100001, "requestId": "g-1"})");
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_THAT(too_many.body, HasSubstr("count"));
  http::Response no_key = Pos("POST", "/v1/promoCodes/" + pool.code() + ":reserve", "{}");
  EXPECT_EQ(no_key.status, 400) << no_key.body;
  EXPECT_THAT(no_key.body, HasSubstr("reservation_id"));
  EXPECT_EQ(
      Parse<v1::PromoCode>(Admin("GET", "/v1/promoCodes/" + pool.code()).body).reserved_uses(), 0);
}

}  // namespace
}  // namespace loyalty::e2e
