#pragma once

// The certificate *_pgtest fixture: the cards one plus a CertificateStore,
// and the certificate invariants checked after every test.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "services/cards/storage/certificate_invariants.h"
#include "services/cards/storage/certificate_store.h"
#include "services/cards/testing/pg_fixture.h"

namespace loyalty::cards::testing {

class CertificatesPgTest : public CardsPgTest {
 protected:
  void SetUp() override {
    CardsPgTest::SetUp();
    certificates_ = std::make_unique<CertificateStore>(*pool_, clock_, numbers_);
  }

  void TearDown() override {
    CardsPgTest::TearDown();
    if (pool_ == nullptr) return;
    auto violations = FindCertificateInvariantViolations(
        *pool_, {.check_events = true, .now = clock_.Now(), .max_per_check = 20});
    ASSERT_TRUE(violations.ok()) << violations.status();
    EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");
  }

  // A certificate of `nominal` expiring in 30 days, failing the test if refused.
  Certificate NewCertificate(int64_t nominal, std::string number = "") {
    auto issued = certificates_->Issue(
        program_, {.number = std::move(number), .nominal = nominal, .expire_time = Expiry()},
        "admin-key");
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? *issued : Certificate{};
  }

  absl::Time Expiry() const { return clock_.Now() + absl::Hours(24 * 30); }

  Certificate Reload(const Certificate& certificate) {
    auto reloaded = certificates_->Get(program_, certificate.number);
    EXPECT_TRUE(reloaded.ok()) << reloaded.status();
    return reloaded.ok() ? *reloaded : Certificate{};
  }

  absl::StatusOr<CertificateOperationResult> Redeem(const Certificate& certificate,
                                                    std::string request_id, int64_t amount) {
    return certificates_->Redeem(
        program_,
        {.request_id = std::move(request_id), .number = certificate.number, .amount = amount},
        "pos-key");
  }

  absl::StatusOr<CertificateOperationResult> Refund(const Certificate& certificate,
                                                    std::string request_id,
                                                    std::string redemption_id, int64_t amount) {
    return certificates_->Refund(program_,
                                 {.request_id = std::move(request_id),
                                  .number = certificate.number,
                                  .redemption_id = std::move(redemption_id),
                                  .amount = amount},
                                 "pos-key");
  }

  absl::StatusOr<CertificateHold> Hold(const Certificate& certificate, std::string hold_id,
                                       int64_t amount) {
    return certificates_->Hold(
        program_, {.hold_id = std::move(hold_id), .number = certificate.number, .amount = amount});
  }

  absl::StatusOr<CertificateOperationResult> Post(const Certificate& certificate,
                                                  std::string request_id, std::string hold_id,
                                                  int64_t amount = 0) {
    return certificates_->PostHold(program_,
                                   {.request_id = std::move(request_id),
                                    .number = certificate.number,
                                    .hold_id = std::move(hold_id),
                                    .amount = amount},
                                   "pos-key");
  }

  // Rows this program has in the certificate tables and the outbox, and
  // the sum of balances: equal snapshots mean a refused call changed nothing.
  std::vector<int64_t> CertificateFootprint() {
    std::vector<int64_t> counts;
    for (const char* table : {"certificates", "certificate_operations", "certificate_holds",
                              "certificate_batches", "outbox"}) {
      counts.push_back(
          Scalar(absl::StrCat("SELECT count(*) FROM ", table, " WHERE program_id = $1")));
    }
    counts.push_back(
        Scalar("SELECT COALESCE(sum(balance), 0)::bigint FROM certificates WHERE program_id = $1"));
    counts.push_back(
        Scalar("SELECT count(*) FROM certificate_holds"
               " WHERE program_id = $1 AND state <> 'HELD'"));
    return counts;
  }

  std::unique_ptr<CertificateStore> certificates_;
};

}  // namespace loyalty::cards::testing
