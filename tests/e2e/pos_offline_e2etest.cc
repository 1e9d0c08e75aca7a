// POS-6 through the real gateway over HTTP: a till's offline receipts are
// uploaded in batches. A batch with a good receipt, a receipt with bad input
// and a duplicate of the good one reports each in order (confirmed, a 4xx
// field under receipts[i], already recorded); uploading it again changes
// nothing; two batches uploaded in reverse order are each recorded once; a
// reused number with other content is a per-receipt conflict; whole-request
// problems are a 4xx for the request. Balances change exactly once.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/pos/v1/pos_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace pv1 = ::loyalty::pos::v1;

class PosOfflineTest : public SharedStackTest {
 protected:
  static std::string Time(absl::Time time) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
  }
  // One receipt of two milk cartons (100.00), paid partly with `points`.
  static std::string Receipt(const std::string& number, const std::string& card,
                             const std::string& quantity, int64_t points, absl::Time taken) {
    return absl::StrCat(R"({"receiptNumber": ")", number, R"(", "cardNumber": ")", card,
                        R"(", "pointsSpent": )", points, R"(, "takenTime": ")", Time(taken),
                        R"(", "lines": [{"lineNumber": 1, "sku": "milk-1l", "category": "dairy",)"
                        R"( "quantity": ")",
                        quantity, R"(", "price": 5000}]})");
  }
  static std::string Batch(const std::vector<std::string>& receipts) {
    std::string body = R"({"receipts": [)";
    for (size_t i = 0; i < receipts.size(); ++i) {
      absl::StrAppend(&body, i == 0 ? "" : ", ", receipts[i]);
    }
    return body + "]}";
  }
  static pv1::UploadOfflineReceiptsResponse Upload(const std::string& body) {
    http::Response response = Pos("POST", "/v1/pos/receipts:upload", body);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<pv1::UploadOfflineReceiptsResponse>(response.body);
  }
  static int64_t Available(const std::string& card) {
    http::Response response = Admin("GET", "/v1/cards/" + card);
    EXPECT_EQ(response.status, 200) << response.body;
    return Parse<cards::v1::Card>(response.body).balance().available();
  }
  static std::vector<pv1::OfflineReceiptOutcome> Outcomes(
      const pv1::UploadOfflineReceiptsResponse& response) {
    std::vector<pv1::OfflineReceiptOutcome> outcomes;
    for (const pv1::OfflineReceiptResult& result : response.results()) {
      outcomes.push_back(result.outcome());
    }
    return outcomes;
  }
};

TEST_F(PosOfflineTest, ABatchIsRecordedOnceWhateverTheRepeatsAndTheOrder) {
  const std::string card = NewMemberCard();
  http::Response adjusted = Admin("POST", absl::StrCat("/v1/cards/", card, ":adjustPoints"),
                                  absl::StrCat(R"({"requestId": "offline-)", card,
                                               R"(", "amount": 500,)"
                                               R"( "reason": "welcome"})"));
  ASSERT_EQ(adjusted.status, 200) << adjusted.body;
  ASSERT_EQ(Available(card), 500);

  const std::string prefix = absl::StrCat("OFF-", UniqueDigits(8), "-");
  const absl::Time now = absl::Now();
  const std::string good = Receipt(prefix + "1", card, "2", 20, now - absl::Hours(2));
  const std::string batch =
      Batch({good, Receipt(prefix + "2", card, "0", 0, now - absl::Hours(2)), good});

  const pv1::UploadOfflineReceiptsResponse first = Upload(batch);
  ASSERT_EQ(first.results_size(), 3) << ToJson(first);
  EXPECT_EQ(Outcomes(first),
            (std::vector<pv1::OfflineReceiptOutcome>{
                pv1::OFFLINE_RECEIPT_OUTCOME_CONFIRMED, pv1::OFFLINE_RECEIPT_OUTCOME_FAILED,
                pv1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED}))
      << ToJson(first);
  const pv1::Receipt& recorded = first.results(0).receipt();
  EXPECT_EQ(recorded.state(), pv1::RECEIPT_STATE_CONFIRMED);
  EXPECT_TRUE(recorded.offline());
  EXPECT_EQ(recorded.taken_time().seconds(), absl::ToUnixSeconds(now - absl::Hours(2)));
  EXPECT_EQ(recorded.points_spent(), 20);
  EXPECT_GT(recorded.points_earned(), 0);
  EXPECT_EQ(first.results(1).error_code(), "INVALID_ARGUMENT");
  EXPECT_EQ(first.results(1).field(), "receipts[1].lines[0].quantity");
  EXPECT_EQ(first.results(2).index(), 2);
  EXPECT_EQ(first.results(2).receipt().receipt_id(), recorded.receipt_id());
  const int64_t after_first = 500 - 20 + recorded.points_earned();
  EXPECT_EQ(Available(card), after_first);

  // The same batch again: nothing changes.
  const pv1::UploadOfflineReceiptsResponse again = Upload(batch);
  EXPECT_EQ(Outcomes(again),
            (std::vector<pv1::OfflineReceiptOutcome>{
                pv1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED, pv1::OFFLINE_RECEIPT_OUTCOME_FAILED,
                pv1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED}))
      << ToJson(again);
  EXPECT_EQ(again.results(0).receipt().receipt_id(), recorded.receipt_id());
  EXPECT_EQ(Available(card), after_first);

  // GetReceipt shows where it came from.
  http::Response got = Pos("GET", "/v1/pos/receipts/" + recorded.receipt_id());
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_TRUE(Parse<pv1::Receipt>(got.body).offline());
  EXPECT_EQ(Parse<pv1::Receipt>(got.body).taken_time().seconds(),
            absl::ToUnixSeconds(now - absl::Hours(2)));

  // Two later batches arrive in reverse order, then both again.
  const std::string earlier = Batch({Receipt(prefix + "3", card, "1", 10, now - absl::Hours(3))});
  const std::string later = Batch({Receipt(prefix + "4", card, "3", 0, now - absl::Hours(1))});
  const pv1::UploadOfflineReceiptsResponse later_result = Upload(later);
  const pv1::UploadOfflineReceiptsResponse earlier_result = Upload(earlier);
  ASSERT_EQ(later_result.results(0).outcome(), pv1::OFFLINE_RECEIPT_OUTCOME_CONFIRMED)
      << ToJson(later_result);
  ASSERT_EQ(earlier_result.results(0).outcome(), pv1::OFFLINE_RECEIPT_OUTCOME_CONFIRMED)
      << ToJson(earlier_result);
  EXPECT_EQ(earlier_result.results(0).receipt().points_spent(), 10);
  const int64_t after_both = after_first + later_result.results(0).receipt().points_earned() - 10 +
                             earlier_result.results(0).receipt().points_earned();
  EXPECT_EQ(Available(card), after_both);
  EXPECT_EQ(Upload(earlier).results(0).outcome(), pv1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED);
  EXPECT_EQ(Upload(later).results(0).outcome(), pv1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED);
  EXPECT_EQ(Available(card), after_both);

  // The first number again with other content: that receipt alone fails.
  const pv1::UploadOfflineReceiptsResponse conflict =
      Upload(Batch({Receipt(prefix + "1", card, "5", 0, now - absl::Hours(2))}));
  ASSERT_EQ(conflict.results_size(), 1);
  EXPECT_EQ(conflict.results(0).outcome(), pv1::OFFLINE_RECEIPT_OUTCOME_FAILED);
  EXPECT_EQ(conflict.results(0).error_code(), "ALREADY_EXISTS");
  EXPECT_EQ(conflict.results(0).field(), "receipts[0].receipt_number");
  EXPECT_EQ(Available(card), after_both);
}

TEST_F(PosOfflineTest, AReceiptConfirmedOnlineIsAlreadyRecordedOffline) {
  const std::string number = absl::StrCat("ONL-", UniqueDigits(8));
  http::Response calculated =
      Pos("POST", "/v1/pos/receipts:calculate",
          absl::StrCat(R"({"receiptNumber": ")", number,
                       R"(", "lines": [{"lineNumber": 1, "sku": "milk-1l", "category": "dairy",)"
                       R"( "quantity": "2", "price": 5000}]})"));
  ASSERT_EQ(calculated.status, 200) << calculated.body;
  const std::string id = Parse<pv1::Receipt>(calculated.body).receipt_id();
  ASSERT_EQ(Pos("POST", "/v1/pos/receipts:confirm",
                absl::StrCat(R"({"requestId": "c-)", number, R"(", "receiptId": ")", id, R"("})"))
                .status,
            200);
  const pv1::UploadOfflineReceiptsResponse uploaded =
      Upload(Batch({Receipt(number, "", "2", 0, absl::Now() - absl::Minutes(5))}));
  ASSERT_EQ(uploaded.results_size(), 1);
  EXPECT_EQ(uploaded.results(0).outcome(), pv1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED)
      << ToJson(uploaded);
  EXPECT_EQ(uploaded.results(0).receipt().receipt_id(), id);
  EXPECT_FALSE(uploaded.results(0).receipt().offline());
}

TEST_F(PosOfflineTest, WholeRequestProblemsAreA4xxForTheRequest) {
  http::Response empty = Pos("POST", "/v1/pos/receipts:upload", R"({"receipts": []})");
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_THAT(empty.body, HasSubstr("receipts"));

  std::vector<std::string> many(501, R"({"receiptNumber": "x"})");
  http::Response too_many = Pos("POST", "/v1/pos/receipts:upload", Batch(many));
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_THAT(too_many.body, HasSubstr("at most 500"));

  http::Response other_store =
      Pos("POST", "/v1/pos/receipts:upload",
          Batch({R"({"storeId": "6f1c1d9e-1111-4222-8333-444455556666", "receiptNumber": "x"})"}));
  EXPECT_EQ(other_store.status, 403) << other_store.body;
  EXPECT_THAT(other_store.body, HasSubstr("receipts[0].store_id"));

  EXPECT_EQ(Send("POST", "/v1/pos/receipts:upload", Batch({"{}"}), "").status, 401);

  // Out of the time window: that receipt alone is refused.
  const pv1::UploadOfflineReceiptsResponse stale = Upload(Batch(
      {Receipt(absl::StrCat("OLD-", UniqueDigits(8)), "", "1", 0,
               absl::Now() - absl::Hours(24 * 31)),
       Receipt(absl::StrCat("FUT-", UniqueDigits(8)), "", "1", 0, absl::Now() + absl::Hours(1))}));
  ASSERT_EQ(stale.results_size(), 2);
  EXPECT_EQ(stale.results(0).field(), "receipts[0].taken_time");
  EXPECT_EQ(stale.results(1).field(), "receipts[1].taken_time");
}

}  // namespace
}  // namespace loyalty::e2e
