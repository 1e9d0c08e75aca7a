#include "services/gateway/gateway.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "libs/common/trace.h"
#include "loyalty/api/v1/auth.pb.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "prometheus/registry.h"
#include "services/gateway/auth.h"
#include "services/gateway/backend.h"
#include "services/gateway/metrics.h"
#include "services/gateway/readiness.h"
#include "services/gateway/route_table.h"
#include "services/gateway/transcoder.h"

namespace loyalty::gateway {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

class FakeAuthenticator final : public Authenticator {
 public:
  void Authenticate(const AuthRequest& request, Done done) override {
    ++calls;
    if (request.api_key == "flaky")
      return done(absl::UnavailableError("dial 10.1.2.3:50051 failed"));
    auto it = keys.find(request.api_key);
    if (it == keys.end()) return done(absl::UnauthenticatedError("invalid API key"));
    done(it->second);
  }
  std::map<std::string, Principal> keys;
  int calls = 0;
};

class FakeBackend final : public Backend {
 public:
  void Call(BackendCall call, Done done) override {
    calls.push_back(std::move(call));
    done(status, response);
  }
  std::string Metadata(absl::string_view key) const {
    for (const auto& [k, v] : calls.back().metadata) {
      if (k == key) return v;
    }
    return "<absent>";
  }
  std::vector<BackendCall> calls;
  grpc::Status status;
  std::string response;
};

class FakeReadiness final : public Readiness {
 public:
  std::vector<std::string> Unready() const override { return unready; }
  std::vector<std::string> unready;
};

std::string Header(const HttpResponse& response, absl::string_view name) {
  for (const auto& [k, v] : response.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest()
      : routes_(BuildRouteTable(LinkedLoyaltyServices()).value()),
        metrics_(registry_),
        gateway_(routes_, auth_, backend_, readiness_, metrics_,
                 GatewayOptions{absl::Seconds(4), {"cards", "identity"}}) {
    Principal pos;
    pos.program_id = "prog-1";
    pos.role = loyalty::api::v1::ROLE_POS;
    pos.store_id = "store-9";
    pos.api_key_id = "key-1";
    auth_.keys["pos-key"] = pos;
    Principal analyst;
    analyst.program_id = "prog-1";
    analyst.role = loyalty::api::v1::ROLE_ANALYST;
    auth_.keys["analyst-key"] = analyst;
    loyalty::cards::v1::Card card;
    card.set_number("123");
    card.set_status(loyalty::cards::v1::CARD_STATUS_ACTIVE);
    card.mutable_balance()->set_available(50);
    backend_.response = card.SerializeAsString();
  }

  HttpResponse Send(absl::string_view method, absl::string_view target, HttpHeaders headers = {},
                    absl::string_view body = "") {
    HttpRequest request;
    request.method = std::string(method);
    request.target = std::string(target);
    request.headers = std::move(headers);
    request.body = std::string(body);
    std::optional<HttpResponse> response;
    gateway_.Handle(std::move(request), [&response](HttpResponse r) { response = std::move(r); });
    EXPECT_TRUE(response.has_value()) << "fakes answer synchronously";
    return response.value_or(HttpResponse{});
  }

  prometheus::Registry registry_;
  RouteTable routes_;
  GatewayMetrics metrics_;
  FakeAuthenticator auth_;
  FakeBackend backend_;
  FakeReadiness readiness_;
  Gateway gateway_;
};

TEST_F(GatewayTest, ForwardsToOwningServiceWithPrincipalMetadata) {
  HttpResponse response = Send("GET", "/v1/cards/123", {{"x-api-key", "pos-key"}});
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body,
            R"({"number":"123","status":"CARD_STATUS_ACTIVE","balance":{"available":"50"}})");
  ASSERT_EQ(backend_.calls.size(), 1u);
  const BackendCall& call = backend_.calls[0];
  EXPECT_EQ(call.backend, "cards");
  EXPECT_EQ(call.method, "/loyalty.cards.v1.CardsService/GetCard");
  EXPECT_EQ(call.timeout, absl::Seconds(4));
  loyalty::cards::v1::GetCardRequest sent;
  ASSERT_TRUE(sent.ParseFromString(call.request));
  EXPECT_EQ(sent.number(), "123");
  EXPECT_EQ(backend_.Metadata("x-loyalty-program-id"), "prog-1");
  EXPECT_EQ(backend_.Metadata("x-loyalty-role"), "ROLE_POS");
  EXPECT_EQ(backend_.Metadata("x-loyalty-store-id"), "store-9");
  EXPECT_EQ(backend_.Metadata("x-loyalty-principal-id"), "key-1");
  EXPECT_EQ(backend_.Metadata("x-loyalty-principal-kind"), "api_key");
  EXPECT_EQ(backend_.Metadata("x-loyalty-partner-id"), "<absent>");
}

TEST_F(GatewayTest, FileMessagesAreSentAsTheRawBodyForDownload) {
  loyalty::operations::v1::FileContent file;
  file.set_content_type("text/csv; charset=utf-8");
  file.set_file_name("card-1-operations.csv");
  file.set_data(std::string("\xEF\xBB\xBFtime,kind\r\n\0x", 16));
  backend_.response = file.SerializeAsString();
  HttpResponse response =
      Send("GET", "/v1/operations/cards-0b7c/file", {{"x-api-key", "analyst-key"}});
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(Header(response, "content-disposition"),
            "attachment; filename=\"card-1-operations.csv\"");
  EXPECT_EQ(Header(response, "x-content-type-options"), "nosniff");
  EXPECT_EQ(response.body, file.data()) << "bytes as they are, not base64 JSON";
  ASSERT_EQ(backend_.calls.size(), 1u);
  EXPECT_EQ(backend_.calls[0].method,
            "/loyalty.operations.v1.OperationsService/DownloadOperationFile");

  // A content type that could split the header is not sent.
  file.set_content_type("text/csv\r\nset-cookie: a=b");
  backend_.response = file.SerializeAsString();
  response = Send("GET", "/v1/operations/cards-0b7c/file", {{"x-api-key", "analyst-key"}});
  EXPECT_EQ(response.status, 500) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
}

TEST(ContentDispositionTest, KeepsOnlyHarmlessCharactersOfTheName) {
  EXPECT_EQ(ContentDisposition("a-1_b.csv"), "attachment; filename=\"a-1_b.csv\"");
  EXPECT_EQ(ContentDisposition("x\"; y=\\../z\r\n.csv"),
            "attachment; filename=\"x___y=_.._z__.csv\"");
  EXPECT_EQ(ContentDisposition("отчёт.csv"), "attachment; filename=\"__________.csv\"");
  EXPECT_EQ(ContentDisposition(""), "attachment; filename=\"download\"");
  EXPECT_EQ(ContentDisposition(".."), "attachment; filename=\"download\"");
}

TEST_F(GatewayTest, OperationsGoToTheServiceTheirIdNames) {
  loyalty::operations::v1::Operation operation;
  operation.set_id("cards-0b7c");
  operation.set_state(loyalty::operations::v1::OPERATION_STATE_RUNNING);
  backend_.response = operation.SerializeAsString();
  auth_.keys["analyst-key"].program_id = "prog-1";
  HttpResponse response = Send("GET", "/v1/operations/cards-0b7c", {{"x-api-key", "analyst-key"}});
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, R"({"id":"cards-0b7c","state":"OPERATION_STATE_RUNNING"})");
  ASSERT_EQ(backend_.calls.size(), 1u);
  EXPECT_EQ(backend_.calls[0].backend, "cards");
  EXPECT_EQ(backend_.calls[0].method, "/loyalty.operations.v1.OperationsService/GetOperation");
  EXPECT_EQ(backend_.Metadata("x-loyalty-program-id"), "prog-1");

  // An id naming no known service reaches no backend.
  for (absl::string_view id : {"billing-0b7c", "0b7c", "cards-"}) {
    response = Send("GET", absl::StrCat("/v1/operations/", id), {{"x-api-key", "analyst-key"}});
    EXPECT_EQ(response.status, 404) << id;
    EXPECT_THAT(response.body, HasSubstr("its id must start with the name of the service")) << id;
  }
  EXPECT_EQ(backend_.calls.size(), 1u);

  // A known service that runs no operations: still just not found.
  backend_.status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown service");
  response = Send("GET", "/v1/operations/identity-0b7c", {{"x-api-key", "analyst-key"}});
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(backend_.calls.back().backend, "identity");

  // Roles still apply: POS keys may not read operations.
  response = Send("GET", "/v1/operations/cards-0b7c", {{"x-api-key", "pos-key"}});
  EXPECT_EQ(response.status, 403) << response.body;
}

TEST_F(GatewayTest, ClientCannotInjectPrincipalHeaders) {
  Send("GET", "/v1/cards/1",
       {{"x-api-key", "pos-key"},
        {"x-loyalty-program-id", "someone-else"},
        {"x-loyalty-role", "ROLE_ADMIN"},
        {"x-loyalty-partner-id", "evil"}});
  ASSERT_EQ(backend_.calls.size(), 1u);
  EXPECT_EQ(backend_.Metadata("x-loyalty-program-id"), "prog-1");
  EXPECT_EQ(backend_.Metadata("x-loyalty-role"), "ROLE_POS");
  EXPECT_EQ(backend_.Metadata("x-loyalty-partner-id"), "<absent>");
  for (const auto& [key, value] : backend_.calls[0].metadata) {
    EXPECT_NE(value, "someone-else") << key;
  }
}

TEST_F(GatewayTest, RequestIdAndTraceContext) {
  HttpResponse response =
      Send("GET", "/v1/cards/1",
           {{"x-api-key", "pos-key"},
            {"x-request-id", "req-42"},
            {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
  EXPECT_EQ(Header(response, "x-request-id"), "req-42");
  std::optional<TraceParent> returned = TraceParent::Parse(Header(response, "traceparent"));
  ASSERT_TRUE(returned.has_value());
  EXPECT_EQ(returned->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(returned->parent_id, "b7ad6b7169203331");
  EXPECT_EQ(backend_.Metadata("x-request-id"), "req-42");
  std::optional<TraceParent> sent = TraceParent::Parse(backend_.Metadata("traceparent"));
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(sent->parent_id, returned->parent_id) << "backend's parent is the gateway span";

  HttpResponse generated = Send("GET", "/v1/nope");
  EXPECT_EQ(Header(generated, "x-request-id").size(), 36u) << "a UUID";
  EXPECT_TRUE(TraceParent::Parse(Header(generated, "traceparent")).has_value());
}

TEST_F(GatewayTest, AuthenticationAndAuthorisation) {
  HttpResponse missing = Send("GET", "/v1/cards/1");
  EXPECT_EQ(missing.status, 401);
  EXPECT_THAT(missing.body, HasSubstr(R"("code":16)"));
  EXPECT_EQ(Send("GET", "/v1/cards/1", {{"x-api-key", "wrong"}}).status, 401);
  EXPECT_EQ(Send("GET", "/v1/cards/1", {{"authorization", "Bearer pos-key"}}).status, 200);
  HttpResponse forbidden = Send("GET", "/v1/cards/1", {{"x-api-key", "analyst-key"}});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_THAT(forbidden.body, HasSubstr(R"("code":7)"));
  EXPECT_EQ(backend_.calls.size(), 1u) << "only the authorised call reached the backend";
}

TEST_F(GatewayTest, AnonymousRouteNeedsAndForwardsNoCredentials) {
  backend_.response = "";
  for (const HttpHeaders& headers :
       {HttpHeaders{}, HttpHeaders{{"x-api-key", "wrong"}}, HttpHeaders{{"x-api-key", "pos-key"}}}) {
    HttpResponse response = Send("POST", "/v1/auth:login", headers,
                                 R"({"programId": "p", "login": "anna", "password": "x"})");
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(backend_.calls.back().method, "/loyalty.identity.v1.OperatorsService/Login");
    // Whatever was sent, the method learns nothing from credentials.
    EXPECT_EQ(backend_.Metadata("x-loyalty-program-id"), "<absent>");
    EXPECT_EQ(backend_.Metadata("x-loyalty-role"), "<absent>");
  }
  EXPECT_EQ(auth_.calls, 0);
  // Its neighbours stay deny-by-default.
  EXPECT_EQ(Send("GET", "/v1/operators").status, 401);
  EXPECT_EQ(Send("GET", "/v1/operators", {{"x-api-key", "analyst-key"}}).status, 403);
}

TEST_F(GatewayTest, OperatorTokensForwardTheOperatorAsPrincipal) {
  Principal admin;
  admin.program_id = "prog-1";
  admin.role = loyalty::api::v1::ROLE_ADMIN;
  admin.operator_id = "op-1";
  auth_.keys["lt1.admin"] = admin;
  backend_.response = "";
  HttpResponse response =
      Send("GET", "/v1/operators", {{"authorization", "Bearer lt1.admin"}});
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(backend_.Metadata("x-loyalty-principal-id"), "op-1");
  EXPECT_EQ(backend_.Metadata("x-loyalty-principal-kind"), "operator");
  EXPECT_EQ(backend_.Metadata("x-loyalty-role"), "ROLE_ADMIN");
}

TEST_F(GatewayTest, CredentialsThatCannotBeCheckedAre503WithoutInternals) {
  HttpResponse response = Send("GET", "/v1/cards/1", {{"x-api-key", "flaky"}});
  EXPECT_EQ(response.status, 503);
  EXPECT_THAT(response.body, HasSubstr(R"("code":14)"));
  EXPECT_THAT(response.body, Not(HasSubstr("10.1.2.3")));
  EXPECT_TRUE(backend_.calls.empty());
}

TEST_F(GatewayTest, UnknownRouteAndWrongMethodNeedNoKey) {
  HttpResponse not_found = Send("GET", "/v1/nope");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, R"({"code":5,"message":"no route for GET /v1/nope","details":[]})");
  HttpResponse not_allowed = Send("DELETE", "/v1/cards/1");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(Header(not_allowed, "allow"), "GET");
  EXPECT_EQ(auth_.calls, 0);
  EXPECT_EQ(Send("GET", "/v1/cards/%zz").status, 400);
}

TEST_F(GatewayTest, BadInputIs400NamingTheField) {
  HttpResponse bad_query = Send("GET", "/v1/stores?page_size=lots", {{"x-api-key", "pos-key"}});
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_THAT(bad_query.body, HasSubstr(R"("field":"page_size")"));
  HttpResponse unknown_field =
      Send("POST", "/v1/cards", {{"x-api-key", "pos-key"}}, R"({"clientId":"c","colour":1})");
  EXPECT_EQ(unknown_field.status, 400);
  EXPECT_THAT(unknown_field.body, HasSubstr("unknown field"));
  EXPECT_THAT(unknown_field.body, HasSubstr(R"("field":"colour")"));
  EXPECT_EQ(Send("POST", "/v1/cards", {{"x-api-key", "pos-key"}}, "{").status, 400);
  EXPECT_TRUE(backend_.calls.empty());
}

TEST_F(GatewayTest, BackendErrorsMapLikeGrpcGateway) {
  backend_.status = grpc::Status(grpc::StatusCode::NOT_FOUND, "card not found");
  HttpResponse not_found = Send("GET", "/v1/cards/1", {{"x-api-key", "pos-key"}});
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body, R"({"code":5,"message":"card not found","details":[]})");

  backend_.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused");
  EXPECT_EQ(Send("GET", "/v1/cards/1", {{"x-api-key", "pos-key"}}).status, 503);
  backend_.status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow");
  EXPECT_EQ(Send("GET", "/v1/cards/1", {{"x-api-key", "pos-key"}}).status, 504);
  backend_.status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "blocked");
  EXPECT_EQ(Send("GET", "/v1/cards/1", {{"x-api-key", "pos-key"}}).status, 400);

  google::rpc::Status details;
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field("client_id");
  violation->set_description("no such client");
  details.add_details()->PackFrom(bad_request);
  backend_.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "client_id: no such client",
                                 details.SerializeAsString());
  HttpResponse invalid =
      Send("POST", "/v1/cards", {{"x-api-key", "pos-key"}}, R"({"clientId":"c"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body,
            R"({"code":3,"message":"client_id: no such client","details":[{"@type":)"
            R"("type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":)"
            R"("client_id","description":"no such client"}]}]})");
}

TEST_F(GatewayTest, MalformedBackendResponseIs500) {
  backend_.response = "\xff\xff\xff";
  EXPECT_EQ(Send("GET", "/v1/cards/1", {{"x-api-key", "pos-key"}}).status, 500);
}

TEST_F(GatewayTest, OpsEndpoints) {
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_EQ(Send("GET", "/readyz").status, 200);
  readiness_.unready = {"cards", "pos"};
  HttpResponse unready = Send("GET", "/readyz");
  EXPECT_EQ(unready.status, 503);
  EXPECT_EQ(unready.body, R"({"status":"unready","unready":["cards","pos"]})");
  HttpResponse post = Send("POST", "/healthz");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(auth_.calls, 0);
}

TEST_F(GatewayTest, MetricsUseRouteTemplates) {
  Send("GET", "/v1/cards/4600000000017", {{"x-api-key", "pos-key"}});
  Send("GET", "/v1/cards/4600000000018", {{"x-api-key", "pos-key"}});
  Send("GET", "/v1/unknown/4600000000019");
  Send("BREW", "/v1/cards/1");
  HttpResponse metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.content_type, HasSubstr("text/plain"));
  EXPECT_THAT(
      metrics.body,
      HasSubstr(
          R"(loyalty_http_requests_total{code="200",method="GET",route="/v1/cards/{number}"} 2)"));
  EXPECT_THAT(metrics.body, HasSubstr(R"(route="unmatched")"));
  EXPECT_THAT(metrics.body, HasSubstr(R"(method="OTHER")"));
  EXPECT_THAT(metrics.body, HasSubstr("loyalty_http_request_duration_seconds_bucket"));
  EXPECT_THAT(metrics.body, HasSubstr("loyalty_http_in_flight_requests"));
  EXPECT_THAT(metrics.body, Not(HasSubstr("4600000000017")));
}

}  // namespace
}  // namespace loyalty::gateway
