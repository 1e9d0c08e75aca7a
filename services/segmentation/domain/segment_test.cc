#include "services/segmentation/domain/segment.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::segmentation {
namespace {

using ::testing::ElementsAre;

std::string FieldOf(const absl::Status& status) {
  return ViolatedField(status).value_or("<none>");
}

TEST(PrepareNewSegmentTest, TrimsAndChecksName) {
  Segment segment{.name = "  Frequent buyers "};
  ASSERT_TRUE(PrepareNewSegment(segment, "segment.").ok());
  EXPECT_EQ(segment.name, "Frequent buyers");

  Segment empty{.name = "\t"};
  EXPECT_EQ(FieldOf(PrepareNewSegment(empty, "segment.")), "segment.name");

  Segment longest;
  for (int i = 0; i < kMaxNameChars; ++i) longest.name += "\xD1\x8F";
  EXPECT_TRUE(PrepareNewSegment(longest, "segment.").ok());
  longest.name += "x";
  EXPECT_EQ(FieldOf(PrepareNewSegment(longest, "segment.")), "segment.name");
}

TEST(PrepareMemberBatchTest, DropsRepeatsKeepingRequestPositions) {
  const std::string a = "0b3c7f3e-8f65-4a4c-9d0e-6a4f2f6f9a01";
  const std::string b = "0B3C7F3E-8F65-4A4C-9D0E-6A4F2F6F9A02";
  auto batch = PrepareMemberBatch({a, b, a, "0b3c7f3e-8f65-4a4c-9d0e-6a4f2f6f9a02"});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_THAT(batch->client_ids,
              ElementsAre(a, "0b3c7f3e-8f65-4a4c-9d0e-6a4f2f6f9a02"));  // lower-cased
  EXPECT_THAT(batch->request_index, ElementsAre(0, 1));
}

TEST(PrepareMemberBatchTest, NamesTheBadEntry) {
  absl::Status status =
      PrepareMemberBatch({"0b3c7f3e-8f65-4a4c-9d0e-6a4f2f6f9a01", "42"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(status), "client_ids[1]");
}

TEST(PrepareMemberBatchTest, CountLimits) {
  EXPECT_EQ(FieldOf(PrepareMemberBatch({}).status()), "client_ids");
  std::vector<std::string> many(kMaxMembersPerCall, "0b3c7f3e-8f65-4a4c-9d0e-6a4f2f6f9a01");
  EXPECT_TRUE(PrepareMemberBatch(many).ok());
  many.push_back(many.front());
  EXPECT_EQ(FieldOf(PrepareMemberBatch(many).status()), "client_ids");
}

}  // namespace
}  // namespace loyalty::segmentation
