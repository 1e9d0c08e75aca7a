#include "services/identity/domain/client_erasure.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

ErasureRequest Valid() {
  return {.client_id = "0b7c9a4e-1111-4c3a-9d6e-000000000001",
          .reason = "  request #17 by e-mail  ",
          .request_id = "erase-1",
          .erased_by = "operator-1"};
}

std::string FieldOf(ErasureRequest request) {
  absl::Status status = NormalizeErasureRequest(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return ViolatedField(status).value_or("(none)");
}

TEST(ClientErasureTest, AcceptsAReasonedRequestAndTrimsTheReason) {
  ErasureRequest request = Valid();
  ASSERT_TRUE(NormalizeErasureRequest(request).ok());
  EXPECT_EQ(request.reason, "request #17 by e-mail");
}

TEST(ClientErasureTest, NamesTheBadField) {
  ErasureRequest request = Valid();
  request.client_id = "17";
  EXPECT_EQ(FieldOf(request), "client_id");
  request = Valid();
  request.reason = "   ";
  EXPECT_EQ(FieldOf(request), "reason");
  request.reason = std::string(501, 'x');
  EXPECT_EQ(FieldOf(request), "reason");
  request.reason = "two\nlines";
  EXPECT_EQ(FieldOf(request), "reason");
  request = Valid();
  request.request_id = "";
  EXPECT_EQ(FieldOf(request), "request_id");
  request.request_id = std::string(129, 'r');
  EXPECT_EQ(FieldOf(request), "request_id");
}

}  // namespace
}  // namespace loyalty::identity
