#include "services/gateway/route_table.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "loyalty/api/v1/auth.pb.h"
#include "loyalty/cards/v1/cards_service.pb.h"

namespace loyalty::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const google::protobuf::MethodDescriptor* Method(absl::string_view full_name) {
  const auto* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(std::string(full_name));
  EXPECT_NE(method, nullptr) << full_name;
  return method;
}

google::api::HttpRule Get(absl::string_view path) {
  google::api::HttpRule rule;
  rule.set_get(std::string(path));
  return rule;
}

RouteTable::Lookup Find(const RouteTable& table, absl::string_view method, absl::string_view path) {
  absl::StatusOr<RequestPath> split = SplitRequestPath(path);
  EXPECT_TRUE(split.ok());
  return table.Find(method, *split);
}

class LinkedRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<RouteTable> built = BuildRouteTable(LinkedLoyaltyServices());
    ASSERT_TRUE(built.ok()) << built.status();
    table_ = *std::move(built);
  }
  RouteTable table_;
};

TEST_F(LinkedRoutesTest, DiscoversEveryLoyaltyService) {
  std::vector<std::string> names;
  for (const auto* service : LinkedLoyaltyServices()) names.push_back(service->full_name());
  for (const char* expected :
       {"loyalty.cards.v1.CardsService", "loyalty.identity.v1.AccessService",
        "loyalty.pos.v1.PosService", "loyalty.analytics.v1.AnalyticsService"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

TEST_F(LinkedRoutesTest, RoutesAnnotatedMethod) {
  RouteTable::Lookup lookup = Find(table_, "GET", "/v1/cards/4600000000017");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->method->full_name(), "loyalty.cards.v1.CardsService.GetCard");
  EXPECT_EQ(lookup.route->grpc_path, "/loyalty.cards.v1.CardsService/GetCard");
  EXPECT_EQ(lookup.route->backend, "cards");
  EXPECT_EQ(lookup.route->path.text(), "/v1/cards/{number}");
  EXPECT_THAT(lookup.bindings, ElementsAre(Pair("number", "4600000000017")));
  const auto& roles = lookup.route->allowed_roles;
  EXPECT_NE(std::find(roles.begin(), roles.end(), loyalty::api::v1::ROLE_POS), roles.end());
  EXPECT_EQ(std::find(roles.begin(), roles.end(), loyalty::api::v1::ROLE_ANALYST), roles.end());
}

TEST_F(LinkedRoutesTest, CustomVerbs) {
  RouteTable::Lookup lookup = Find(table_, "POST", "/v1/pos/receipts:confirm");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->method->name(), "ConfirmReceipt");
  EXPECT_EQ(lookup.route->body, "*");
  lookup = Find(table_, "POST", "/v1/pos/receipts:cancel");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->method->name(), "CancelReceipt");
}

TEST_F(LinkedRoutesTest, InternalServicesAreNeverRouted) {
  for (const Route& route : table_.routes()) {
    EXPECT_NE(route.method->service()->full_name(), "loyalty.identity.v1.AccessService");
    EXPECT_NE(route.method->service()->full_name(), "loyalty.cards.v1.LedgerService");
  }
}

TEST_F(LinkedRoutesTest, WrongMethodListsAllowedOnes) {
  RouteTable::Lookup lookup = Find(table_, "DELETE", "/v1/cards/1");
  EXPECT_EQ(lookup.route, nullptr);
  EXPECT_THAT(lookup.allowed_methods, ElementsAre("GET"));
  lookup = Find(table_, "PUT", "/v1/cards");
  EXPECT_THAT(lookup.allowed_methods, ::testing::UnorderedElementsAre("GET", "POST"));
  lookup = Find(table_, "GET", "/v1/pos/settings");
  ASSERT_NE(lookup.route, nullptr);
  lookup = Find(table_, "PUT", "/v1/pos/settings");
  EXPECT_THAT(lookup.allowed_methods, ElementsAre("GET", "PATCH"));
}

TEST_F(LinkedRoutesTest, UnknownPath) {
  RouteTable::Lookup lookup = Find(table_, "GET", "/v1/nothing-here");
  EXPECT_EQ(lookup.route, nullptr);
  EXPECT_TRUE(lookup.allowed_methods.empty());
}

TEST(RouteTable, LiteralRouteWinsWhateverTheOrder) {
  const auto* get_card = Method("loyalty.cards.v1.CardsService.GetCard");
  for (bool literal_first : {true, false}) {
    RouteTable table;
    auto literal = MakeRoute(get_card, Get("/v1/cards/special"), "cards");
    auto variable = MakeRoute(get_card, Get("/v1/cards/{number}"), "cards");
    ASSERT_TRUE(literal.ok() && variable.ok());
    if (literal_first) {
      ASSERT_TRUE(table.Add(*literal).ok());
      ASSERT_TRUE(table.Add(*variable).ok());
    } else {
      ASSERT_TRUE(table.Add(*variable).ok());
      ASSERT_TRUE(table.Add(*literal).ok());
    }
    EXPECT_EQ(Find(table, "GET", "/v1/cards/special").route->path.text(), "/v1/cards/special");
    EXPECT_EQ(Find(table, "GET", "/v1/cards/other").route->path.text(), "/v1/cards/{number}");
  }
}

TEST(RouteTable, GenericRouteServesWhenSpecificOneHasOtherMethod) {
  const auto* get_card = Method("loyalty.cards.v1.CardsService.GetCard");
  RouteTable table;
  google::api::HttpRule post;
  post.set_post("/v1/cards/special");
  ASSERT_TRUE(table.Add(*MakeRoute(get_card, post, "cards")).ok());
  ASSERT_TRUE(table.Add(*MakeRoute(get_card, Get("/v1/cards/{number}"), "cards")).ok());
  RouteTable::Lookup lookup = Find(table, "GET", "/v1/cards/special");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->path.text(), "/v1/cards/{number}");
}

TEST(RouteTable, RejectsAmbiguousRoutes) {
  const auto* get_card = Method("loyalty.cards.v1.CardsService.GetCard");
  RouteTable table;
  ASSERT_TRUE(table.Add(*MakeRoute(get_card, Get("/v1/cards/{number}"), "cards")).ok());
  // `{number=*}` is `{number}` spelt out: the same URLs.
  absl::Status clash = table.Add(*MakeRoute(get_card, Get("/v1/cards/{number=*}"), "cards"));
  EXPECT_EQ(clash.code(), absl::StatusCode::kAlreadyExists);
  google::api::HttpRule post;
  post.set_post("/v1/cards/{number}");
  EXPECT_TRUE(table.Add(*MakeRoute(get_card, post, "cards")).ok()) << "other method";
}

TEST(MakeRoute, ValidatesRuleAgainstMethod) {
  const auto* get_card = Method("loyalty.cards.v1.CardsService.GetCard");
  EXPECT_FALSE(MakeRoute(get_card, Get("/v1/cards/{nope}"), "cards").ok());
  google::api::HttpRule body;
  body.set_post("/v1/cards");
  body.set_body("nope");
  EXPECT_FALSE(MakeRoute(get_card, body, "cards").ok());
  google::api::HttpRule response;
  response.set_get("/v1/cards/{number}");
  response.set_response_body("nope");
  EXPECT_FALSE(MakeRoute(get_card, response, "cards").ok());
  EXPECT_FALSE(MakeRoute(get_card, google::api::HttpRule(), "cards").ok()) << "no pattern";
  // A message field cannot be a path variable.
  const auto* create_store = Method("loyalty.pos.v1.StoreService.CreateStore");
  EXPECT_FALSE(MakeRoute(create_store, Get("/v1/stores/{store}"), "pos").ok());
  EXPECT_TRUE(MakeRoute(create_store, Get("/v1/stores/{store.store_id}"), "pos").ok());
}

TEST(MakeRoute, CustomPatternAndMissingAccessRule) {
  const auto* get_program = Method("loyalty.identity.v1.AccessService.GetProgram");
  google::api::HttpRule rule;
  rule.mutable_custom()->set_kind("head");
  rule.mutable_custom()->set_path("/v1/programs/{program_id}");
  absl::StatusOr<Route> route = MakeRoute(get_program, rule, "identity");
  ASSERT_TRUE(route.ok()) << route.status();
  EXPECT_EQ(route->http_method, "HEAD");
  EXPECT_TRUE(route->allowed_roles.empty()) << "no access option: nobody";
}

TEST(MakeRoute, AnonymousMethodsListNoRoles) {
  // A method of a pool built here, so that its access option can be wrong.
  google::protobuf::FileDescriptorProto file;
  file.set_name("anonymous_test.proto");
  file.set_package("loyalty.test.v1");
  file.set_syntax("proto3");
  file.add_dependency("loyalty/api/v1/auth.proto");
  file.add_message_type()->set_name("Empty");
  google::protobuf::MethodDescriptorProto* login = file.add_service()->add_method();
  file.mutable_service(0)->set_name("TestService");
  login->set_name("Login");
  login->set_input_type(".loyalty.test.v1.Empty");
  login->set_output_type(".loyalty.test.v1.Empty");
  loyalty::api::v1::MethodAccess* access =
      login->mutable_options()->MutableExtension(loyalty::api::v1::access);
  access->set_allow_anonymous(true);
  access->add_allowed_roles(loyalty::api::v1::ROLE_ADMIN);
  google::protobuf::DescriptorPool pool(google::protobuf::DescriptorPool::generated_pool());
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  const google::protobuf::MethodDescriptor* method = built->service(0)->method(0);

  absl::StatusOr<Route> both = MakeRoute(method, Get("/v1/login"), "test");
  EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(both.status().message()), ::testing::HasSubstr("allow_anonymous"));

  access->clear_allowed_roles();
  google::protobuf::DescriptorPool fixed_pool(google::protobuf::DescriptorPool::generated_pool());
  const google::protobuf::FileDescriptor* fixed = fixed_pool.BuildFile(file);
  ASSERT_NE(fixed, nullptr);
  absl::StatusOr<Route> anonymous = MakeRoute(fixed->service(0)->method(0), Get("/v1/login"), "test");
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_TRUE(anonymous->allow_anonymous);
}

TEST_F(LinkedRoutesTest, OperationsRoutesTakeTheirBackendFromTheId) {
  RouteTable::Lookup lookup = Find(table_, "GET", "/v1/operations/cards-0b7c");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->method->full_name(),
            "loyalty.operations.v1.OperationsService.GetOperation");
  EXPECT_EQ(lookup.route->backend, "");
  EXPECT_EQ(lookup.route->backend_id_field, "id");
  const absl::flat_hash_set<std::string> known = {"cards", "identity"};
  EXPECT_EQ(BackendOfRequest(*lookup.route, lookup.bindings, known).value(), "cards");

  for (absl::string_view path :
       {"/v1/operations/cards-0b7c/items", "/v1/operations/cards-0b7c:cancel"}) {
    RouteTable::Lookup other = Find(table_, absl::EndsWith(path, ":cancel") ? "POST" : "GET", path);
    ASSERT_NE(other.route, nullptr) << path;
    EXPECT_EQ(BackendOfRequest(*other.route, other.bindings, known).value(), "cards") << path;
  }

  for (absl::string_view id : {"pos-1", "cards", "-1", "CARDS-1"}) {
    RouteTable::Lookup unknown = Find(table_, "GET", absl::StrCat("/v1/operations/", id));
    ASSERT_NE(unknown.route, nullptr) << id;
    absl::StatusOr<std::string> backend = BackendOfRequest(*unknown.route, unknown.bindings, known);
    EXPECT_EQ(backend.status().code(), absl::StatusCode::kNotFound) << id;
  }

  // Other routes keep their package's backend whatever their variables hold.
  RouteTable::Lookup card = Find(table_, "GET", "/v1/cards/pos-1");
  ASSERT_NE(card.route, nullptr);
  EXPECT_EQ(BackendOfRequest(*card.route, card.bindings, known).value(), "cards");
}

TEST(BackendOfPackage, ServiceNameFromPackage) {
  EXPECT_EQ(BackendOfPackage("loyalty.cards.v1").value(), "cards");
  EXPECT_EQ(BackendOfPackage("loyalty.segmentation.v2").value(), "segmentation");
  EXPECT_FALSE(BackendOfPackage("google.api").ok());
  EXPECT_FALSE(BackendOfPackage("loyalty.cards").ok());
  EXPECT_FALSE(BackendOfPackage("other.cards.v1").ok());
}

}  // namespace
}  // namespace loyalty::gateway
