// The template and level contracts as the gateway reads them: every method
// routed over HTTP with an access rule; changes for admins and marketers
// only, reads also for operators and POS.

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "loyalty/api/v1/auth.pb.h"
#include "loyalty/cards/v1/levels_service.pb.h"
#include "loyalty/cards/v1/templates_service.pb.h"

namespace loyalty::cards {
namespace {

using google::protobuf::MethodDescriptor;

std::set<int> RolesOf(const MethodDescriptor& method) {
  const auto& access = method.options().GetExtension(loyalty::api::v1::access);
  return std::set<int>(access.allowed_roles().begin(), access.allowed_roles().end());
}

const google::protobuf::ServiceDescriptor* Service(const char* name) {
  // Linking the generated messages registers their files' services too.
  (void)v1::CardTemplate::descriptor();
  (void)v1::Level::descriptor();
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      absl::StrCat("loyalty.cards.v1.", name));
  EXPECT_NE(service, nullptr) << name;
  return service;
}

bool IsRead(const MethodDescriptor& method) {
  const std::string& name = method.name();
  return name.rfind("Get", 0) == 0 || name.rfind("List", 0) == 0;
}

TEST(LevelsContractTest, EveryMethodIsRoutedWithRoles) {
  for (const auto* service : {Service("TemplatesService"), Service("LevelsService")}) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      SCOPED_TRACE(method.full_name());
      EXPECT_TRUE(method.options().HasExtension(google::api::http));
      std::set<int> roles = RolesOf(method);
      EXPECT_TRUE(roles.contains(loyalty::api::v1::ROLE_ADMIN));
      if (!IsRead(method)) {
        EXPECT_FALSE(roles.contains(loyalty::api::v1::ROLE_POS));
        EXPECT_FALSE(roles.contains(loyalty::api::v1::ROLE_ANALYST));
      }
    }
  }
}

TEST(LevelsContractTest, ReadsAndChangesByRole) {
  const auto* templates = Service("TemplatesService");
  EXPECT_TRUE(
      RolesOf(*templates->FindMethodByName("GetTemplate")).contains(loyalty::api::v1::ROLE_POS));
  EXPECT_TRUE(RolesOf(*templates->FindMethodByName("CreateTemplate"))
                  .contains(loyalty::api::v1::ROLE_MARKETER));
  const auto* levels = Service("LevelsService");
  EXPECT_TRUE(
      RolesOf(*levels->FindMethodByName("SetCardLevel")).contains(loyalty::api::v1::ROLE_OPERATOR));
  EXPECT_FALSE(
      RolesOf(*levels->FindMethodByName("UpdateLevel")).contains(loyalty::api::v1::ROLE_OPERATOR));
  EXPECT_EQ(RolesOf(*levels->FindMethodByName("RecalculateLevels")),
            std::set<int>{loyalty::api::v1::ROLE_ADMIN});
  EXPECT_EQ(
      levels->FindMethodByName("SetCardLevel")->options().GetExtension(google::api::http).post(),
      "/v1/cards/{card_number}:setLevel");
}

}  // namespace
}  // namespace loyalty::cards
