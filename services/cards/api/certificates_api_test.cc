// The certificates contract as the gateway reads it (routes and roles from
// the descriptors), and the proto mapping of certificates and operations.

#include "services/cards/api/certificates_api.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "gtest/gtest.h"
#include "loyalty/api/v1/auth.pb.h"
#include "prometheus/registry.h"

namespace loyalty::cards {
namespace {

const google::protobuf::ServiceDescriptor* Service() {
  return v1::Certificate::descriptor()->file()->FindServiceByName("CertificatesService");
}

std::set<int> AllowedRoles(const char* method) {
  const auto* service = Service();
  const auto* found = service->FindMethodByName(method);
  EXPECT_NE(found, nullptr) << method;
  if (found == nullptr) return {};
  const auto& access = found->options().GetExtension(loyalty::api::v1::access);
  return std::set<int>(access.allowed_roles().begin(), access.allowed_roles().end());
}

TEST(CertificatesContractTest, EveryMethodIsRoutedForAdmins) {
  const auto* service = Service();
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->method_count(), 10);
  for (int i = 0; i < service->method_count(); ++i) {
    SCOPED_TRACE(service->method(i)->full_name());
    EXPECT_TRUE(service->method(i)->options().HasExtension(google::api::http));
    EXPECT_TRUE(AllowedRoles(service->method(i)->name().c_str()).contains(api::v1::ROLE_ADMIN));
  }
}

TEST(CertificatesContractTest, TillsSpendAndReadButNeverIssue) {
  for (const char* method : {"HoldCertificate", "PostCertificateHold", "VoidCertificateHold",
                             "RedeemCertificate", "RefundCertificate", "GetCertificate"}) {
    EXPECT_TRUE(AllowedRoles(method).contains(api::v1::ROLE_POS)) << method;
  }
  for (const char* method : {"IssueCertificate", "IssueCertificateBatch", "SetCertificateStatus",
                             "ListCertificateOperations"}) {
    EXPECT_FALSE(AllowedRoles(method).contains(api::v1::ROLE_POS)) << method;
    EXPECT_FALSE(AllowedRoles(method).contains(api::v1::ROLE_MARKETER)) << method;
  }
  for (const char* method : {"IssueCertificate", "IssueCertificateBatch", "SetCertificateStatus"}) {
    EXPECT_TRUE(AllowedRoles(method).contains(api::v1::ROLE_OPERATOR)) << method;
  }
  const auto& hold =
      Service()->FindMethodByName("PostCertificateHold")->options().GetExtension(google::api::http);
  EXPECT_EQ(hold.post(), "/v1/certificates/{number}/holds/{hold_id}:post");
}

TEST(CertificatesConvertTest, CertificateAndOperation) {
  const absl::Time now = absl::FromUnixSeconds(1'750'000'000);
  Certificate certificate{.number = "7000001",
                          .nominal = 5000,
                          .balance = 2000,
                          .held = 500,
                          .expire_time = now + absl::Hours(1),
                          .create_time = now,
                          .status = CertificateStatus::kRedeemed,
                          .available = 1500};
  v1::Certificate proto;
  ToProto(certificate, proto);
  EXPECT_EQ(proto.number(), "7000001");
  EXPECT_EQ(proto.nominal(), 5000);
  EXPECT_EQ(proto.balance(), 2000);
  EXPECT_EQ(proto.held(), 500);
  EXPECT_EQ(proto.available(), 1500);
  EXPECT_EQ(proto.status(), v1::CERTIFICATE_STATUS_REDEEMED);
  EXPECT_EQ(proto.expire_time().seconds(), 1'750'003'600);
  EXPECT_FALSE(proto.has_status_change_time());

  v1::CertificateOperation operation;
  ToProto(CertificateOperation{.operation_id = "f-1",
                               .kind = CertificateOperationKind::kRefund,
                               .amount = 300,
                               .balance_after = 2300,
                               .refund_of = "r-1",
                               .create_time = now},
          operation);
  EXPECT_EQ(operation.kind(), v1::CERTIFICATE_OPERATION_KIND_REFUND);
  EXPECT_EQ(operation.amount(), 300);
  EXPECT_EQ(operation.refund_of(), "r-1");
  EXPECT_EQ(operation.create_time().seconds(), 1'750'000'000);

  v1::CertificateHold hold;
  ToProto(CertificateHold{.hold_id = "h", .amount = 5, .state = HoldState::kExpired}, hold);
  EXPECT_EQ(hold.state(), v1::HOLD_STATE_EXPIRED);
}

// The series of `name` labelled operation=`operation`.
double Counted(prometheus::Registry& registry, const std::string& name,
               const std::string& operation) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (metric.label.size() == 1 && metric.label[0].value == operation) {
        return metric.counter.value;
      }
    }
  }
  ADD_FAILURE() << "no " << name << "{operation=" << operation << "}";
  return -1;
}

TEST(CertificateMetricsTest, CountsAppliedMoneyNotReplays) {
  prometheus::Registry registry;
  CertificateMetrics metrics(registry);
  metrics.RecordOperation({.kind = CertificateOperationKind::kRedemption, .amount = -700});
  metrics.RecordOperation(
      {.kind = CertificateOperationKind::kRedemption, .amount = -700, .replayed = true});
  metrics.RecordOperation({.kind = CertificateOperationKind::kRefund, .amount = 200});
  EXPECT_EQ(Counted(registry, "loyalty_certificate_operations_total", "redemption"), 1);
  EXPECT_EQ(Counted(registry, "loyalty_certificate_amount_total", "redemption"), 700);
  EXPECT_EQ(Counted(registry, "loyalty_certificate_operations_total", "refund"), 1);
  EXPECT_EQ(Counted(registry, "loyalty_certificate_amount_total", "refund"), 200);
}

}  // namespace
}  // namespace loyalty::cards
