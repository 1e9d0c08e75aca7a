#include "services/identity/domain/operator.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

TEST(OperatorLoginTest, LowerCasesAndTrims) {
  absl::StatusOr<std::string> login = NormalizeLogin("  Anna.Petrova+crm@Shop.RU ", "login");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(*login, "anna.petrova+crm@shop.ru");
  for (const std::string& bad :
       {std::string("ab"), std::string(129, 'a'), std::string("anna petrova"),
        std::string("анна"), std::string("a;b--")}) {
    EXPECT_EQ(ViolatedField(NormalizeLogin(bad, "operator.login").status()), "operator.login")
        << bad;
  }
}

TEST(OperatorSpecTest, AllowsOnlyOperatorRoles) {
  for (const char* role : {"ROLE_ADMIN", "ROLE_MARKETER", "ROLE_OPERATOR", "ROLE_ANALYST"}) {
    OperatorSpec spec{.display_name = " Anna ", .role = role};
    EXPECT_TRUE(NormalizeOperatorSpec(spec, "operator.").ok()) << role;
    EXPECT_EQ(spec.display_name, "Anna");
  }
  for (const char* role : {"ROLE_POS", "ROLE_PARTNER", "ROLE_UNSPECIFIED", ""}) {
    OperatorSpec spec{.display_name = "Anna", .role = role};
    EXPECT_EQ(ViolatedField(NormalizeOperatorSpec(spec, "operator.")), "operator.role") << role;
  }
  OperatorSpec unnamed{.display_name = "  ", .role = "ROLE_ADMIN"};
  EXPECT_EQ(ViolatedField(NormalizeOperatorSpec(unnamed, "operator.")), "operator.display_name");
}

TEST(OperatorSpecTest, MaskCopiesOnlyNamedFields) {
  const OperatorSpec input{.display_name = "New", .role = "ROLE_ANALYST", .disabled = true};
  OperatorSpec stored{.display_name = "Old", .role = "ROLE_ADMIN", .disabled = false};
  ASSERT_TRUE(ApplyOperatorMask({"disabled"}, input, stored).ok());
  EXPECT_EQ(stored, (OperatorSpec{.display_name = "Old", .role = "ROLE_ADMIN", .disabled = true}));
  ASSERT_TRUE(ApplyOperatorMask({}, input, stored).ok());
  EXPECT_EQ(stored, input);
  EXPECT_EQ(ViolatedField(ApplyOperatorMask({"login"}, input, stored)), "update_mask");
}

TEST(LoginThrottleTest, RefusesFromTheFifthFailure) {
  EXPECT_TRUE(CheckLoginThrottle(0).ok());
  EXPECT_TRUE(CheckLoginThrottle(kMaxFailedLogins - 1).ok());
  EXPECT_EQ(CheckLoginThrottle(kMaxFailedLogins).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(LoginFailed().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace loyalty::identity
