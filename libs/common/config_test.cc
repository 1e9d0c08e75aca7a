#include "libs/common/config.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty {
namespace {

using ::testing::HasSubstr;

EnvReader ReaderFor(const std::map<std::string, std::string>& values) {
  return EnvReader([values](const char* name) -> const char* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  });
}

TEST(EnvReaderTest, ReadsTypedValuesAndDefaults) {
  EnvReader env = ReaderFor({{"A", "42"}, {"B", "true"}, {"C", "250ms"}});
  EXPECT_EQ(env.Int("A", 0, 0, 100), 42);
  EXPECT_TRUE(env.Bool("B", false));
  EXPECT_EQ(env.Duration("C", absl::Seconds(1)), absl::Milliseconds(250));
  EXPECT_EQ(env.String("MISSING", "dflt"), "dflt");
  EXPECT_TRUE(env.Finish().ok());
}

TEST(EnvReaderTest, ReportsEveryProblemAtOnce) {
  EnvReader env = ReaderFor({{"A", "x"}, {"B", "maybe"}, {"P", "nohost"}});
  env.Int("A", 0, 0, 10);
  env.Bool("B", false);
  env.RequiredString("R");
  env.Address("P", "");
  absl::Status status = env.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("A must be an integer"));
  EXPECT_THAT(status.message(), HasSubstr("B must be true or false"));
  EXPECT_THAT(status.message(), HasSubstr("R is required"));
  EXPECT_THAT(status.message(), HasSubstr("P must be host:port"));
}

TEST(EnvReaderTest, RejectsOutOfRangeIntegers) {
  EnvReader env = ReaderFor({{"A", "500"}});
  EXPECT_EQ(env.Int("A", 7, 0, 100), 7);
  EXPECT_THAT(env.Finish().message(), HasSubstr("within [0, 100]"));
}

TEST(ServiceConfigTest, RequiresDatabaseUrl) {
  EnvReader env = ReaderFor({{"LOYALTY_GRPC_ADDRESS", "127.0.0.1:1234"}});
  ServiceConfig config = ReadServiceConfig(env, "cards");
  EXPECT_EQ(config.service_name, "cards");
  EXPECT_EQ(config.grpc_address, "127.0.0.1:1234");
  EXPECT_THAT(env.Finish().message(), HasSubstr("LOYALTY_DATABASE_URL is required"));
}

}  // namespace
}  // namespace loyalty
