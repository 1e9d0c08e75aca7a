#include "libs/rpc/proto_convert.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::rpc {
namespace {

TEST(ProtoConvertTest, TimestampsRoundTripAtMicrosecondPrecision) {
  absl::Time time = absl::FromUnixMicros(1'800'000'000'123'456);
  google::protobuf::Timestamp proto;
  SetTimestamp(time, &proto);
  EXPECT_EQ(proto.seconds(), 1'800'000'000);
  EXPECT_EQ(proto.nanos(), 123'456'000);
  EXPECT_EQ(*TimeFromProto(proto, "t"), time);

  SetTimestamp(absl::FromUnixMicros(-1), &proto);  // just before 1970
  EXPECT_EQ(proto.seconds(), -1);
  EXPECT_EQ(proto.nanos(), 999'999'000);
}

TEST(ProtoConvertTest, OutOfRangeTimestampsNameTheField) {
  google::protobuf::Timestamp proto;
  proto.set_seconds(253402300800);
  EXPECT_EQ(ViolatedField(TimeFromProto(proto, "campaign.end_time").status()),
            "campaign.end_time");
  proto.set_seconds(0);
  proto.set_nanos(-1);
  EXPECT_FALSE(TimeFromProto(proto, "t").ok());
}

TEST(ProtoConvertTest, PageSizes) {
  EXPECT_EQ(*ResolvePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*ResolvePageSize(1), 1);
  EXPECT_EQ(*ResolvePageSize(500), 500);
  EXPECT_EQ(ViolatedField(ResolvePageSize(501).status()), "page_size");
  EXPECT_EQ(ViolatedField(ResolvePageSize(-3).status()), "page_size");
}

}  // namespace
}  // namespace loyalty::rpc
