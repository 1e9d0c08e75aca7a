#include "services/gateway/transcoder.h"

#include <memory>

#include "gmock/gmock.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {
namespace {

using google::protobuf::Message;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// A request type with every field kind the transcoder handles, built at run
// time so the test needs no extra .proto in the build.
constexpr char kTestProto[] = R"pb(
  name: "gateway_transcoder_test.proto"
  package: "gwtest"
  syntax: "proto3"
  dependency: "google/protobuf/timestamp.proto"
  dependency: "google/protobuf/field_mask.proto"
  dependency: "google/protobuf/wrappers.proto"
  enum_type {
    name: "Color"
    value { name: "COLOR_UNSPECIFIED" number: 0 }
    value { name: "COLOR_RED" number: 1 }
  }
  message_type {
    name: "Nested"
    field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "count" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
  }
  message_type {
    name: "Req"
    field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "page_size" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
    field { name: "big" number: 3 label: LABEL_OPTIONAL type: TYPE_INT64 }
    field { name: "small" number: 4 label: LABEL_OPTIONAL type: TYPE_UINT32 }
    field { name: "flag" number: 5 label: LABEL_OPTIONAL type: TYPE_BOOL }
    field { name: "ratio" number: 6 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
    field { name: "f" number: 7 label: LABEL_OPTIONAL type: TYPE_FLOAT }
    field {
      name: "color"
      number: 8
      label: LABEL_OPTIONAL
      type: TYPE_ENUM
      type_name: ".gwtest.Color"
    }
    field {
      name: "nested"
      number: 9
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".gwtest.Nested"
    }
    field { name: "tags" number: 10 label: LABEL_REPEATED type: TYPE_STRING }
    field { name: "nums" number: 11 label: LABEL_REPEATED type: TYPE_INT32 }
    field {
      name: "when"
      number: 12
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Timestamp"
    }
    field {
      name: "mask"
      number: 13
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.FieldMask"
    }
    field {
      name: "limit"
      number: 14
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Int64Value"
    }
    field { name: "raw" number: 15 label: LABEL_OPTIONAL type: TYPE_BYTES }
    field {
      name: "items"
      number: 16
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".gwtest.Nested"
    }
  }
  message_type {
    name: "Resp"
    field {
      name: "items"
      number: 1
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".gwtest.Nested"
    }
    field { name: "next_page_token" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "total" number: 3 label: LABEL_OPTIONAL type: TYPE_INT64 }
    field {
      name: "first"
      number: 4
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".gwtest.Nested"
    }
  }
  service {
    name: "TestService"
    method { name: "Do" input_type: ".gwtest.Req" output_type: ".gwtest.Resp" }
  }
)pb";

class TranscoderTest : public ::testing::Test {
 protected:
  TranscoderTest() {
    // The well-known types the test file imports, copied into this pool.
    for (const char* name : {"google/protobuf/timestamp.proto", "google/protobuf/field_mask.proto",
                             "google/protobuf/wrappers.proto"}) {
      google::protobuf::FileDescriptorProto dependency;
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name)->CopyTo(&dependency);
      EXPECT_NE(pool_.BuildFile(dependency), nullptr) << name;
    }
    google::protobuf::FileDescriptorProto file;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kTestProto, &file));
    EXPECT_NE(pool_.BuildFile(file), nullptr);
    method_ = pool_.FindMethodByName("gwtest.TestService.Do");
  }

  Route MakeTestRoute(const google::api::HttpRule& rule) {
    absl::StatusOr<Route> route = MakeRoute(method_, rule, "test");
    EXPECT_TRUE(route.ok()) << route.status();
    return route.ok() ? *route : Route();
  }
  Route GetRoute(absl::string_view path) {
    google::api::HttpRule rule;
    rule.set_get(std::string(path));
    return MakeTestRoute(rule);
  }
  Route PostRoute(absl::string_view path, absl::string_view body) {
    google::api::HttpRule rule;
    rule.set_post(std::string(path));
    rule.set_body(std::string(body));
    return MakeTestRoute(rule);
  }

  std::unique_ptr<Message> NewMessage(absl::string_view type) {
    return std::unique_ptr<Message>(
        factory_.GetPrototype(pool_.FindMessageTypeByName(std::string(type)))->New());
  }

  // Builds a request; `query` is a raw query string.
  absl::StatusOr<std::string> Build(const Route& route, const PathBindings& path,
                                    absl::string_view query, absl::string_view body) {
    absl::StatusOr<QueryParams> params = ParseQueryString(query);
    if (!params.ok()) return params.status();
    std::unique_ptr<Message> request = NewMessage("gwtest.Req");
    absl::Status status = BuildRequestMessage(route, path, *params, body, *request);
    if (!status.ok()) return status;
    return request->ShortDebugString();
  }

  // The field a failed Build names.
  std::string BadField(const Route& route, absl::string_view query, absl::string_view body = "",
                       const PathBindings& path = {}) {
    absl::StatusOr<std::string> result = Build(route, path, query, body);
    EXPECT_FALSE(result.ok()) << query << " " << body << " -> " << *result;
    if (result.ok()) return "<ok>";
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    return ViolatedField(result.status()).value_or("<none>");
  }

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
  const google::protobuf::MethodDescriptor* method_ = nullptr;
};

TEST_F(TranscoderTest, PathVariablesIncludingNested) {
  Route route = GetRoute("/v1/things/{name}/parts/{nested.id}");
  EXPECT_EQ(Build(route, {{"name", "n1"}, {"nested.id", "p 2"}}, "", "").value(),
            R"(name: "n1" nested { id: "p 2" })");
}

TEST_F(TranscoderTest, PathValueConvertedToFieldType) {
  Route route = GetRoute("/v1/things/{page_size}");
  EXPECT_EQ(Build(route, {{"page_size", "12"}}, "", "").value(), "page_size: 12");
  EXPECT_EQ(BadField(route, "", "", {{"page_size", "twelve"}}), "page_size");
}

TEST_F(TranscoderTest, QueryScalarsOfEveryType) {
  Route route = GetRoute("/v1/things");
  EXPECT_EQ(
      Build(route, {},
            "name=a+b&page_size=5&big=-9000000000&small=7&flag=true&ratio=1.5&f=0.25"
            "&color=COLOR_RED&raw=aGk%3D",
            "")
          .value(),
      R"(name: "a b" page_size: 5 big: -9000000000 small: 7 flag: true ratio: 1.5 f: 0.25 color: COLOR_RED raw: "hi")");
}

TEST_F(TranscoderTest, QueryAcceptsJsonNamesAndEnumNumbers) {
  Route route = GetRoute("/v1/things");
  EXPECT_EQ(Build(route, {}, "pageSize=3&color=1&flag=0", "").value(),
            "page_size: 3 color: COLOR_RED");
}

TEST_F(TranscoderTest, QueryNestedAndRepeated) {
  Route route = GetRoute("/v1/things");
  EXPECT_EQ(Build(route, {}, "nested.id=x&nested.count=2&tags=a&tags=b&nums=1&nums=2", "").value(),
            R"(nested { id: "x" count: 2 } tags: "a" tags: "b" nums: 1 nums: 2)");
}

TEST_F(TranscoderTest, QueryWellKnownTypes) {
  Route route = GetRoute("/v1/things");
  EXPECT_EQ(
      Build(route, {}, "when=2024-01-02T03:04:05Z&mask=name,nested.id&limit=5", "").value(),
      R"(when { seconds: 1704164645 } mask { paths: "name" paths: "nested.id" } limit { value: 5 })");
  EXPECT_EQ(BadField(route, "when=yesterday"), "when");
  EXPECT_EQ(BadField(route, "limit=many"), "limit");
}

TEST_F(TranscoderTest, QueryTypeErrorsNameTheField) {
  Route route = GetRoute("/v1/things");
  EXPECT_EQ(BadField(route, "page_size=abc"), "page_size");
  EXPECT_EQ(BadField(route, "page_size=99999999999"), "page_size") << "int32 overflow";
  EXPECT_EQ(BadField(route, "small=-1"), "small");
  EXPECT_EQ(BadField(route, "flag=yes"), "flag");
  EXPECT_EQ(BadField(route, "ratio=x"), "ratio");
  EXPECT_EQ(BadField(route, "color=COLOR_BLUE"), "color");
  EXPECT_EQ(BadField(route, "color=7"), "color");
  EXPECT_EQ(BadField(route, "nums=1&nums=x"), "nums");
  EXPECT_EQ(BadField(route, "nested.count=1.5"), "nested.count");
  EXPECT_EQ(BadField(route, "raw=%%%"), "<none>") << "malformed escape fails the whole query";
}

TEST_F(TranscoderTest, QueryRejectsUnknownRepeatedAndUnsettable) {
  Route route = GetRoute("/v1/things");
  EXPECT_EQ(BadField(route, "colour=1"), "colour");
  EXPECT_EQ(BadField(route, "nested.nope=1"), "nested.nope");
  EXPECT_EQ(BadField(route, "name=a&name=b"), "name");
  EXPECT_EQ(BadField(route, "items=x"), "items");
  EXPECT_EQ(BadField(route, "nested=x"), "nested");
}

TEST_F(TranscoderTest, QueryCannotOverrideBoundFields) {
  Route by_path = GetRoute("/v1/things/{name}/{nested.id}");
  PathBindings path = {{"name", "n"}, {"nested.id", "i"}};
  EXPECT_EQ(BadField(by_path, "name=other", "", path), "name");
  EXPECT_EQ(BadField(by_path, "nested.id=other", "", path), "nested.id");
  EXPECT_TRUE(Build(by_path, path, "nested.count=1", "").ok());

  Route whole_body = PostRoute("/v1/things", "*");
  EXPECT_EQ(BadField(whole_body, "page_size=1"), "page_size");

  Route nested_body = PostRoute("/v1/things", "nested");
  EXPECT_EQ(BadField(nested_body, "nested.id=x"), "nested.id");
  EXPECT_EQ(Build(nested_body, {}, "name=q", R"({"id":"b"})").value(),
            R"(name: "q" nested { id: "b" })");
}

TEST_F(TranscoderTest, WholeBody) {
  Route route = PostRoute("/v1/things", "*");
  EXPECT_EQ(Build(route, {}, "", R"({"name":"x","pageSize":3,"nested":{"count":2}})").value(),
            R"(name: "x" page_size: 3 nested { count: 2 })");
  EXPECT_EQ(Build(route, {}, "", R"({"page_size":4})").value(), "page_size: 4")
      << "original field names are accepted too";
  EXPECT_EQ(Build(route, {}, "", "").value(), "") << "empty body is an empty message";
  EXPECT_EQ(Build(route, {}, "", " \n ").value(), "");
}

TEST_F(TranscoderTest, PathWinsOverBody) {
  Route route = PostRoute("/v1/things/{name}", "*");
  EXPECT_EQ(
      Build(route, {{"name", "from-path"}}, "", R"({"name":"from-body","flag":true})").value(),
      R"(name: "from-path" flag: true)");
}

TEST_F(TranscoderTest, BodyErrors) {
  Route route = PostRoute("/v1/things", "*");
  absl::StatusOr<std::string> unknown = Build(route, {}, "", R"({"bogus":1})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown field \"bogus\""));
  EXPECT_EQ(ViolatedField(unknown.status()).value_or(""), "bogus");

  EXPECT_EQ(BadField(route, "", R"({"nested":{"zzz":1}})"), "nested.zzz");
  EXPECT_EQ(BadField(route, "", R"({"pageSize":"many"})"), "page_size");
  EXPECT_EQ(BadField(route, "", R"({"items":[{"count":true}]})"), "items[0].count");

  absl::StatusOr<std::string> malformed = Build(route, {}, "", "{not json");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(malformed.status().message(), HasSubstr("invalid JSON body"));
  EXPECT_FALSE(ViolatedField(malformed.status()).has_value());

  EXPECT_FALSE(Build(route, {}, "", "[1,2]").ok());
  EXPECT_FALSE(Build(route, {}, "", R"({"name":"x"} trailing)").ok());
}

TEST_F(TranscoderTest, FieldBodyErrorsNameTheFullPath) {
  Route route = PostRoute("/v1/things", "nested");
  EXPECT_EQ(BadField(route, "", R"({"zzz":1})"), "nested.zzz");
  EXPECT_EQ(BadField(route, "", R"({"count":"x"})"), "nested.count");
}

TEST_F(TranscoderTest, RendersResponseAsProto3Json) {
  Route route = GetRoute("/v1/things");
  std::unique_ptr<Message> response = NewMessage("gwtest.Resp");
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"(items { id: "a" } total: 5 next_page_token: "")", response.get()));
  EXPECT_EQ(RenderResponseJson(route, *response).value(), R"({"items":[{"id":"a"}],"total":"5"})");
}

TEST_F(TranscoderTest, RendersResponseBodyField) {
  std::unique_ptr<Message> response = NewMessage("gwtest.Resp");
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"(items { id: "a" } items { count: 2 } total: 5 first { id: "f" })", response.get()));
  auto with = [&](absl::string_view field) {
    google::api::HttpRule rule;
    rule.set_get("/v1/things");
    rule.set_response_body(std::string(field));
    return RenderResponseJson(MakeTestRoute(rule), *response).value();
  };
  EXPECT_EQ(with("items"), R"([{"id":"a"},{"count":2}])");
  EXPECT_EQ(with("total"), R"("5")");
  EXPECT_EQ(with("first"), R"({"id":"f"})");
  EXPECT_EQ(with("next_page_token"), R"("")");
}

TEST(ParseQueryString, DecodesPairs) {
  absl::StatusOr<QueryParams> params = ParseQueryString("a=1&b=x%20y&b=z+w&&c");
  ASSERT_TRUE(params.ok());
  EXPECT_THAT(*params,
              ElementsAre(Pair("a", "1"), Pair("b", "x y"), Pair("b", "z w"), Pair("c", "")));
  EXPECT_TRUE(ParseQueryString("").value().empty());
  EXPECT_FALSE(ParseQueryString("a=%zz").ok());
  EXPECT_FALSE(ParseQueryString("=x").ok());
  EXPECT_EQ(ParseQueryString("q=a%3Db%26c").value()[0].second, "a=b&c");
}

TEST(JsonParseError, ParserMessageForms) {
  absl::Status unknown = JsonParseError("bogus: Cannot find field.");
  EXPECT_EQ(ViolatedField(unknown).value_or(""), "bogus");
  EXPECT_THAT(unknown.message(), HasSubstr("unknown field \"bogus\""));

  EXPECT_EQ(ViolatedField(JsonParseError("(methods[0]) bogus2: Cannot find field.")).value_or(""),
            "methods[0].bogus2");
  absl::Status bad_value = JsonParseError("(client.phone): invalid value 5 for type TYPE_STRING");
  EXPECT_EQ(ViolatedField(bad_value).value_or(""), "client.phone");
  EXPECT_THAT(bad_value.message(), HasSubstr("invalid value 5"));

  absl::Status syntax = JsonParseError("Expected : between key:value pair.\n{not json\n     ^");
  EXPECT_FALSE(ViolatedField(syntax).has_value());
  EXPECT_EQ(syntax.message(), "invalid JSON body: Expected : between key:value pair.");
  EXPECT_EQ(JsonParseError(": Root element must be a message.").message(),
            "invalid JSON body: Root element must be a message.");
}

}  // namespace
}  // namespace loyalty::gateway
