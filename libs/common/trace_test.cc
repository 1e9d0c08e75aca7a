#include "libs/common/trace.h"

#include "gtest/gtest.h"
#include "libs/common/random_ids.h"

namespace loyalty {
namespace {

TEST(TraceParentTest, ParsesAndFormatsW3cHeader) {
  auto parsed = TraceParent::Parse(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->parent_id, "00f067aa0ba902b7");
  EXPECT_TRUE(parsed->sampled);
  EXPECT_EQ(parsed->ToHeader(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(TraceParentTest, RejectsMalformedHeaders) {
  EXPECT_FALSE(TraceParent::Parse("").has_value());
  EXPECT_FALSE(TraceParent::Parse("00-abc-def-01").has_value());
  EXPECT_FALSE(TraceParent::Parse(
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01").has_value());
  EXPECT_FALSE(TraceParent::Parse(
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").has_value());
  EXPECT_FALSE(TraceParent::Parse(
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").has_value());
}

TEST(TraceParentTest, ChildKeepsTraceAndChangesSpan) {
  TraceParent root = TraceParent::NewRoot();
  TraceParent child = root.Child();
  EXPECT_EQ(child.trace_id, root.trace_id);
  EXPECT_NE(child.parent_id, root.parent_id);
  EXPECT_TRUE(TraceParent::Parse(child.ToHeader()).has_value());
}

TEST(RandomIdsTest, UuidsAreVersion4AndDistinct) {
  std::string a = NewUuid();
  std::string b = NewUuid();
  EXPECT_TRUE(IsUuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  EXPECT_FALSE(IsUuid("not-a-uuid"));
}

}  // namespace
}  // namespace loyalty
