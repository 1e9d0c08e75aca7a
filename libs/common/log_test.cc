#include "libs/common/log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(LogTest, FormatsOneJsonObjectWithContext) {
  Context context{.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                  .span_id = "00f067aa0ba902b7",
                  .request_id = "req-1",
                  .program_id = "p1"};
  std::string line = FormatLine(Level::kWarn, "card \"blocked\"\n",
                                {{"amount", int64_t{12}}, {"card", "123"}}, context);
  EXPECT_THAT(line, HasSubstr("\"level\":\"warn\""));
  EXPECT_THAT(line, HasSubstr("\"msg\":\"card \\\"blocked\\\"\\n\""));
  EXPECT_THAT(line, HasSubstr("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
  EXPECT_THAT(line, HasSubstr("\"amount\":12"));
  EXPECT_THAT(line, HasSubstr("\"card\":\"123\""));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LogTest, ScopedContextIsRestored) {
  {
    ScopedContext outer(Context{.request_id = "outer"});
    {
      ScopedContext inner(Context{.request_id = "inner"});
      EXPECT_EQ(CurrentContext().request_id, "inner");
    }
    EXPECT_EQ(CurrentContext().request_id, "outer");
  }
  EXPECT_EQ(CurrentContext().request_id, "");
  EXPECT_THAT(FormatLine(Level::kInfo, "x", {}, CurrentContext()),
              Not(HasSubstr("request_id")));
}

}  // namespace
}  // namespace loyalty::log
