#include "services/gateway/error_response.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::gateway {
namespace {

using ::testing::HasSubstr;

TEST(HttpStatusFromGrpcCode, MatchesGrpcGateway) {
  const int expected[] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                          400, 409, 400, 501, 500, 503, 500, 401};
  for (int code = 0; code <= 16; ++code) {
    EXPECT_EQ(HttpStatusFromGrpcCode(code), expected[code]) << "code " << code;
  }
  EXPECT_EQ(HttpStatusFromGrpcCode(42), 500);
  EXPECT_EQ(HttpStatusFromGrpcCode(-1), 500);
}

TEST(ErrorBody, ShapeWithoutDetails) {
  EXPECT_EQ(ErrorBody(5, "card \"1\" not found", ""),
            R"({"code":5,"message":"card \"1\" not found","details":[]})");
}

TEST(StatusErrorResponse, FieldViolationBecomesBadRequestDetail) {
  HttpResponse response =
      StatusErrorResponse(loyalty::InvalidField("client.phone", "cannot be normalised"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  // The body is a google.rpc.Status in proto3 JSON: parse it back as one.
  google::rpc::Status status;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(response.body, &status).ok())
      << response.body;
  EXPECT_EQ(status.code(), 3);
  EXPECT_EQ(status.message(), "client.phone: cannot be normalised");
  ASSERT_EQ(status.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(status.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "client.phone");
  EXPECT_THAT(
      response.body,
      HasSubstr(R"("@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations")"));
}

TEST(StatusErrorResponse, PlainStatusAndOverride) {
  HttpResponse not_found = StatusErrorResponse(absl::NotFoundError("no route"));
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, R"({"code":5,"message":"no route","details":[]})");
  HttpResponse not_allowed = StatusErrorResponse(absl::UnimplementedError("nope"), 405);
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_THAT(not_allowed.body, HasSubstr(R"("code":12)"));
}

TEST(GrpcErrorResponse, PassesBackendDetailsThrough) {
  google::rpc::Status details;
  details.set_code(9);
  google::rpc::PreconditionFailure failure;
  failure.add_violations()->set_type("BALANCE");
  details.add_details()->PackFrom(failure);
  HttpResponse response = GrpcErrorResponse(9, "not enough points", details.SerializeAsString());
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body,
              HasSubstr(R"({"@type":"type.googleapis.com/google.rpc.PreconditionFailure",)"
                        R"("violations":[{"type":"BALANCE"}]})"));
}

TEST(GrpcErrorResponse, UnknownDetailTypeStaysOpaque) {
  google::rpc::Status details;
  google::protobuf::Any* any = details.add_details();
  any->set_type_url("type.googleapis.com/acme.Unknown");
  any->set_value("\x01\x02");
  HttpResponse response = GrpcErrorResponse(13, "boom", details.SerializeAsString());
  EXPECT_EQ(response.status, 500);
  EXPECT_THAT(response.body,
              HasSubstr(R"({"@type":"type.googleapis.com/acme.Unknown","value":"AQI="})"));
}

TEST(GrpcErrorResponse, GarbageDetailsAreIgnored) {
  HttpResponse response = GrpcErrorResponse(14, "down", "\xff\xff\xff");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, R"({"code":14,"message":"down","details":[]})");
}

}  // namespace
}  // namespace loyalty::gateway
