#include "services/pos/domain/certificates.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/pos/domain/fake_certificates.h"

namespace loyalty::pos {
namespace {

TEST(ValidateCertificatesTest, NamesTheEntryAtFault) {
  EXPECT_TRUE(ValidateCertificates({{.number = "123456"}, {.number = "1234567890123456789"}}).ok());
  EXPECT_EQ(ViolatedField(ValidateCertificates({{.number = "12345"}})), "certificates[0].number");
  EXPECT_EQ(ViolatedField(ValidateCertificates({{.number = "12345678901234567890"}})),
            "certificates[0].number");
  EXPECT_EQ(ViolatedField(ValidateCertificates({{.number = " 1234567"}})),
            "certificates[0].number");
  std::vector<CertificateInput> six;
  for (int i = 0; i < 6; ++i) six.push_back({.number = "10000" + std::to_string(i) + "0"});
  EXPECT_EQ(ViolatedField(ValidateCertificates(six)), "certificates");
}

TEST(HoldCertificatesTest, AnAmountAboveWhatIsLeftToPayPaysWhatIsLeft) {
  FakeCertificates port;
  port.Issue("4000000001", 50000);
  port.Issue("4000000002", 50000);
  std::vector<std::string> messages;
  std::vector<ReceiptCertificate> held = HoldCertificates(
      &port,
      {.program_id = "p",
       .receipt_id = "r",
       .calculation = 3,
       .amount_to_pay = 12000,
       .certificates = {{.number = "4000000001", .amount = 40000}, {.number = "4000000002"}}},
      [] { return std::string("abcd"); }, messages);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].amount, 12000);
  EXPECT_EQ(held[0].hold_id, "r:3:abcd:c0");
  EXPECT_EQ(held[1].outcome, CertificateOutcome::kNotNeeded);
  EXPECT_EQ(port.Held("4000000002"), 0);
  EXPECT_EQ(messages,
            std::vector<std::string>{"Certificate 4000000002: the receipt is already paid"});
}

TEST(HoldCertificatesTest, ARaceLostAtTheHoldIsReportedByWhatCardsRefused) {
  FakeCertificates port;
  port.Issue("4000000001", 5000);
  // Someone else holds most of it between the balance read and our hold.
  class Racing final : public Certificates {
   public:
    explicit Racing(FakeCertificates& inner) : inner_(inner) {}
    absl::StatusOr<Info> Get(const std::string& p, const std::string& n) override {
      absl::StatusOr<Info> info = inner_.Get(p, n);
      inner_.Hold(p, n, "other", 4000, "").IgnoreError();
      return info;
    }
    absl::Status Hold(const std::string& p, const std::string& n, const std::string& h,
                      int64_t a, const std::string& r) override {
      return inner_.Hold(p, n, h, a, r);
    }
    absl::Status Post(const std::string& p, const std::string& n, const std::string& h,
                      int64_t a, const std::string& r) override {
      return inner_.Post(p, n, h, a, r);
    }
    absl::Status Void(const std::string& p, const std::string& n, const std::string& h) override {
      return inner_.Void(p, n, h);
    }
    absl::Status Refund(const std::string& p, const std::string& n, const std::string& d,
                        int64_t a, const std::string& r) override {
      return inner_.Refund(p, n, d, a, r);
    }

   private:
    FakeCertificates& inner_;
  } racing(port);
  std::vector<std::string> messages;
  std::vector<ReceiptCertificate> held = HoldCertificates(
      &racing,
      {.program_id = "p", .receipt_id = "r", .amount_to_pay = 9000,
       .certificates = {{.number = "4000000001"}}},
      [] { return std::string("abcd"); }, messages);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].outcome, CertificateOutcome::kInsufficient);
  EXPECT_EQ(held[0].reason, "exceeds the available amount 1000");
  EXPECT_TRUE(held[0].hold_id.empty());
}

TEST(PlanCertificateRefundTest, PartialRefundsAddUpToWhatEachPaid) {
  std::vector<PricedLine> lines = {{.line_number = 1, .quantity_milli = 3000, .amount = 30000},
                                   {.line_number = 2, .quantity_milli = 1000, .amount = 10001}};
  std::vector<ReceiptCertificate> certificates = {
      {.number = "4000000001", .outcome = CertificateOutcome::kApplied, .amount = 7001,
       .hold_id = "h1"},
      {.number = "4000000002", .outcome = CertificateOutcome::kInsufficient},
      {.number = "4000000003", .outcome = CertificateOutcome::kApplied, .amount = 3333,
       .hold_id = "h3"}};
  int64_t given_back[2] = {0, 0};
  for (int step = 1; step <= 3; ++step) {
    lines[0].refunded_quantity_milli = step * 1000;
    if (step == 3) lines[1].refunded_quantity_milli = 1000;
    for (const RefundedCertificate& share : PlanCertificateRefund(lines, 100, certificates)) {
      EXPECT_NE(share.position, 1);
      given_back[share.position == 0 ? 0 : 1] += share.amount;
      EXPECT_EQ(share.redemption_id, certificates[share.position].hold_id + ":post");
    }
    if (step == 1) {
      EXPECT_EQ(given_back[0], 7001 * 10000 / 40001);
    }
  }
  EXPECT_EQ(given_back[0], 7001);
  EXPECT_EQ(given_back[1], 3333);
  EXPECT_EQ(certificates[0].refunded, 7001);
  // Nothing more once everything is back.
  EXPECT_TRUE(PlanCertificateRefund(lines, 100, certificates).empty());
}

}  // namespace
}  // namespace loyalty::pos
