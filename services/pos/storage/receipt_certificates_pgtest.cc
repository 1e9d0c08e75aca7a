// The gift certificates of a receipt in PostgreSQL (migrations 0014 and
// 0017): kept with the calculation, their holds forgotten when a
// recalculation is claimed or recorded for release when a confirmation is
// sent back, and each refund's share planned once and counted cumulatively.

#include <atomic>

#include "gtest/gtest.h"
#include "services/pos/storage/pos_database_test.h"

namespace loyalty::pos {
namespace {

constexpr char kProgram[] = "11111111-2222-4333-8444-555555555555";

class ReceiptCertificatesStoreTest : public PosDatabaseTest {
 protected:
  void SetUp() override {
    auto store = store_.CreateStore(kProgram, Store{.name = "Main"}, "");
    ASSERT_TRUE(store.ok()) << store.status();
    store_id_ = store->store_id;
  }

  // 300.00 over two lines, 120.00 paid by the first of three certificates
  // and 30.00 by the third.
  Receipt Calculated(const std::string& number) {
    static std::atomic<int> counter{0};
    char id[37];
    std::snprintf(id, sizeof(id), "cccccccc-bbbb-4ccc-8ddd-%012d", ++counter);
    Receipt receipt;
    receipt.receipt_id = id;
    receipt.program_id = kProgram;
    receipt.store_id = store_id_;
    receipt.receipt_number = number;
    receipt.lines = *PriceLines({{.line_number = 1, .sku = "a", .quantity = "2", .price = 10000},
                                 {.line_number = 2, .sku = "b", .quantity = "1", .price = 10000}});
    receipt.total_amount = 30000;
    receipt.create_time = absl::Now();
    receipt.certificates = {
        {.number = "4000000001", .outcome = CertificateOutcome::kApplied, .amount = 12000,
         .hold_id = "h-1"},
        {.number = "4000000002", .requested = 500, .outcome = CertificateOutcome::kBlocked,
         .reason = "the certificate is blocked"},
        {.number = "4000000003", .outcome = CertificateOutcome::kApplied, .amount = 3000,
         .hold_id = "h-3"}};
    return receipt;
  }

  PosStore store_{*pool_};
  std::string store_id_;
};

TEST_F(ReceiptCertificatesStoreTest, KeptWithTheCalculationAndUnheldByARecalculationClaim) {
  Receipt receipt = Calculated("C-1");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  auto saved = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_EQ(saved->certificates.size(), 3u);
  EXPECT_EQ(saved->certificates[0].hold_id, "h-1");
  EXPECT_EQ(saved->certificates[0].amount, 12000);
  EXPECT_EQ(saved->certificates[1].outcome, CertificateOutcome::kBlocked);
  EXPECT_EQ(saved->certificates[1].requested, 500);
  EXPECT_EQ(saved->certificates[1].reason, "the certificate is blocked");

  // Once a recalculation is claimed the old holds cannot be posted.
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 1).ok());
  auto claimed = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->certificates[0].hold_id.empty());
  EXPECT_EQ(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").status().code(),
            absl::StatusCode::kFailedPrecondition);

  // The new calculation replaces the certificates.
  Receipt second = receipt;
  second.calculation = 2;
  second.certificates = {{.number = "4000000003", .outcome = CertificateOutcome::kApplied,
                          .amount = 1000, .hold_id = "h-9"}};
  ASSERT_TRUE(store_.SaveCalculation(second).ok());
  auto begun = store_.BeginConfirm(kProgram, "", receipt.receipt_id, "");
  ASSERT_TRUE(begun.ok()) << begun.status();
  ASSERT_EQ(begun->certificates.size(), 1u);
  EXPECT_EQ(begun->certificates[0].hold_id, "h-9");
}

TEST_F(ReceiptCertificatesStoreTest, ASendBackRecordsTheHoldsToReleaseInTheSameTransaction) {
  Receipt receipt = Calculated("C-SB");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  // Only a receipt being confirmed at that calculation is sent back.
  EXPECT_EQ(store_.SendBack(kProgram, receipt.receipt_id, 1).status().code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "sb").ok());
  EXPECT_EQ(store_.SendBack(kProgram, receipt.receipt_id, 2).status().code(),
            absl::StatusCode::kAborted);
  auto releases = store_.SendBack(kProgram, receipt.receipt_id, 1);
  ASSERT_TRUE(releases.ok()) << releases.status();
  ASSERT_EQ(releases->size(), 2u);
  EXPECT_EQ((*releases)[0].hold_id, "h-1");
  EXPECT_EQ((*releases)[0].number, "4000000001");
  EXPECT_EQ((*releases)[0].amount, 12000);
  EXPECT_EQ((*releases)[1].hold_id, "h-3");
  // Back to CALCULATED with the next calculation claimed: no hold of the
  // refused calculation can be posted, and a retry of the send-back loses.
  auto sent = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->state, ReceiptState::kCalculated);
  EXPECT_EQ(sent->calculation, 2);
  EXPECT_TRUE(sent->certificates[0].hold_id.empty());
  EXPECT_EQ(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "sb").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.SendBack(kProgram, receipt.receipt_id, 1).status().code(),
            absl::StatusCode::kAborted);

  // The releases outlive the next calculation and are listed for the
  // recovery until forgotten.
  Receipt second = receipt;
  second.calculation = 3;
  second.certificates = {{.number = "4000000003", .outcome = CertificateOutcome::kApplied,
                          .amount = 1000, .hold_id = "h-9"}};
  ASSERT_TRUE(store_.BeginRecalculation(kProgram, receipt.receipt_id, 2).ok());
  ASSERT_TRUE(store_.SaveCalculation(second).ok());
  auto pending = store_.PendingReleases(kProgram, receipt.receipt_id);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->size(), 2u);
  auto listed = [&] {
    auto stalled = store_.ListStalled(absl::ZeroDuration(), 100);
    EXPECT_TRUE(stalled.ok()) << stalled.status();
    for (const StalledWork& work : *stalled) {
      if (work.kind == StalledWork::Kind::kCertificateRelease && work.id == receipt.receipt_id) {
        return work.program_id == kProgram;
      }
    }
    return false;
  };
  EXPECT_TRUE(listed());
  ASSERT_TRUE(store_.ForgetReleases(kProgram, receipt.receipt_id, {(*pending)[0]}).ok());
  pending = store_.PendingReleases(kProgram, receipt.receipt_id);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].hold_id, "h-3");
  ASSERT_TRUE(store_.ForgetReleases(kProgram, receipt.receipt_id, *pending).ok());
  EXPECT_FALSE(listed());
}

TEST_F(ReceiptCertificatesStoreTest, RefundSharesArePlannedOnceAndAddUp) {
  Receipt receipt = Calculated("C-2");
  ASSERT_TRUE(store_.SaveCalculation(receipt).ok());
  ASSERT_TRUE(store_.BeginConfirm(kProgram, "", receipt.receipt_id, "").ok());
  ASSERT_TRUE(store_.FinishConfirm(kProgram, receipt.receipt_id, {}).ok());

  // One of line 1's two units: 100.00 of 300.00.
  auto first = store_.BeginRefund(kProgram, "", receipt.receipt_id, "f-1", {{1, "1"}});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->certificates.size(), 2u);
  EXPECT_EQ(first->certificates[0].number, "4000000001");
  EXPECT_EQ(first->certificates[0].amount, 4000);
  EXPECT_EQ(first->certificates[0].redemption_id, "h-1:post");
  EXPECT_EQ(first->certificates[1].position, 2);
  EXPECT_EQ(first->certificates[1].amount, 1000);
  // The same request id is the same refund, planned once.
  auto replay = store_.BeginRefund(kProgram, "", receipt.receipt_id, "f-1", {{1, "1"}});
  ASSERT_TRUE(replay.ok());
  ASSERT_EQ(replay->certificates.size(), 2u);
  EXPECT_EQ(replay->certificates[0].amount, 4000);
  auto loaded = store_.GetRefund(kProgram, first->refund_id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->certificates.size(), 2u);

  auto rest = store_.BeginRefund(kProgram, "", receipt.receipt_id, "f-2", {});
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->certificates.size(), 2u);
  EXPECT_EQ(rest->certificates[0].amount, 8000);
  EXPECT_EQ(rest->certificates[1].amount, 2000);
  auto refunded = store_.Get(kProgram, receipt.receipt_id);
  ASSERT_TRUE(refunded.ok());
  EXPECT_EQ(refunded->certificates[0].refunded, 12000);
  EXPECT_EQ(refunded->certificates[2].refunded, 3000);
}

}  // namespace
}  // namespace loyalty::pos
