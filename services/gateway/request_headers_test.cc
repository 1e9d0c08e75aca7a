#include "services/gateway/request_headers.h"

#include "gtest/gtest.h"
#include "libs/common/random_ids.h"

namespace loyalty::gateway {
namespace {

HttpRequest WithHeaders(HttpHeaders headers) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/";
  request.headers = std::move(headers);
  return request;
}

TEST(ApiKeyFrom, HeaderOrBearer) {
  EXPECT_EQ(ApiKeyFrom(WithHeaders({{"x-api-key", " k1 "}})), "k1");
  EXPECT_EQ(ApiKeyFrom(WithHeaders({{"authorization", "Bearer k2"}})), "k2");
  EXPECT_EQ(ApiKeyFrom(WithHeaders({{"authorization", "bearer   k3"}})), "k3");
  EXPECT_EQ(ApiKeyFrom(WithHeaders({{"x-api-key", "k1"}, {"authorization", "Bearer k2"}})), "k1");
  EXPECT_EQ(ApiKeyFrom(WithHeaders({{"authorization", "Basic dXNlcjpwdw=="}})), "");
  EXPECT_EQ(ApiKeyFrom(WithHeaders({{"authorization", "Bearer "}})), "");
  EXPECT_EQ(ApiKeyFrom(WithHeaders({})), "");
}

TEST(RequestIdFrom, KeepsSaneIdsAndReplacesOthers) {
  EXPECT_EQ(RequestIdFrom(WithHeaders({{"x-request-id", "abc-123_x.y:z"}})), "abc-123_x.y:z");
  EXPECT_TRUE(IsUuid(RequestIdFrom(WithHeaders({}))));
  EXPECT_TRUE(IsUuid(RequestIdFrom(WithHeaders({{"x-request-id", "has space"}}))));
  EXPECT_TRUE(IsUuid(RequestIdFrom(WithHeaders({{"x-request-id", "{\"json\"}"}}))));
  EXPECT_TRUE(IsUuid(RequestIdFrom(WithHeaders({{"x-request-id", std::string(129, 'a')}}))));
  EXPECT_NE(RequestIdFrom(WithHeaders({})), RequestIdFrom(WithHeaders({})));
}

TEST(GatewaySpanFrom, ContinuesValidTraceOrStartsOne) {
  const std::string incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  TraceParent span = GatewaySpanFrom(WithHeaders({{"traceparent", incoming}}));
  EXPECT_EQ(span.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(span.parent_id, "b7ad6b7169203331") << "the gateway's own span";
  EXPECT_TRUE(span.sampled);

  TraceParent fresh = GatewaySpanFrom(WithHeaders({{"traceparent", "garbage"}}));
  EXPECT_EQ(fresh.trace_id.size(), 32u);
  EXPECT_NE(fresh.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_TRUE(TraceParent::Parse(fresh.ToHeader()).has_value());
}

}  // namespace
}  // namespace loyalty::gateway
