// The README's permission table is the one the descriptors give: a changed
// (loyalty.api.v1.access) option or a new route fails this test until the
// README is regenerated (LOYALTY_UPDATE_README=1 ctest -R gateway_test).

#include "services/gateway/permission_table.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {
namespace {

using ::testing::HasSubstr;

constexpr char kBegin[] = "<!-- permission-table:begin (generated, see permission_table_test.cc) -->\n";
constexpr char kEnd[] = "<!-- permission-table:end -->";

TEST(PermissionTableTest, ReadmeMatchesTheDescriptors) {
  const std::string expected =
      RenderPermissionTable(BuildRouteTable(LinkedLoyaltyServices()).value());
  std::stringstream buffer;
  buffer << std::ifstream(LOYALTY_GATEWAY_README).rdbuf();
  std::string readme = buffer.str();
  const size_t begin = readme.find(kBegin);
  const size_t end = readme.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "no permission table marker in " << LOYALTY_GATEWAY_README;
  ASSERT_NE(end, std::string::npos);
  const size_t start = begin + std::string(kBegin).size();
  const std::string actual = readme.substr(start, end - start);
  if (actual != expected && std::getenv("LOYALTY_UPDATE_README") != nullptr) {
    readme.replace(start, end - start, expected);
    std::ofstream(LOYALTY_GATEWAY_README) << readme;
    GTEST_SKIP() << "README rewritten; check the diff";
  }
  EXPECT_EQ(actual, expected)
      << "services/gateway/README.md's permission table is out of date; run "
         "LOYALTY_UPDATE_README=1 ctest --test-dir build/dev -R gateway_test";
}

TEST(PermissionTableTest, ShowsRolesAndAnonymousRoutes) {
  const std::string table = RenderPermissionTable(BuildRouteTable(LinkedLoyaltyServices()).value());
  EXPECT_THAT(table, HasSubstr("| admin | marketer | operator | analyst | pos | partner |"));
  EXPECT_THAT(table, HasSubstr("| POST | `/v1/auth:login` | OperatorsService.Login | anonymous |"));
  EXPECT_THAT(table, HasSubstr("| POST | `/v1/apiKeys` | ApiKeysService.CreateApiKey | ✓ | | | | | |"));
}

}  // namespace
}  // namespace loyalty::gateway
