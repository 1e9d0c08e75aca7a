// Custom client attributes (CLI-2) through the real gateway over HTTP, in a
// program of their own (its required attribute must not bother the other
// suites): define a status system and a questionnaire question (and
// replay), register with the required answer from a till, set values,
// read the status history, refuse bad input naming the field with nothing
// stored, refuse a type change once values exist; another program's
// client is 404 and a POS key cannot use the attribute routes.

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/identity/v1/attributes_service.pb.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::identity::v1;

class AttributesTest : public SharedStackTest {};

TEST_F(AttributesTest, SchemaValuesAndStatusHistory) {
  auto program = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/attributes.env"));
  ASSERT_TRUE(program.ok()) << program.status();
  auto as_admin = [&](const std::string& method, const std::string& path,
                      const std::string& body = "") {
    return Send(method, path, body, program->api_key);
  };

  const std::string tier_body =
      R"({"key": "tier", "displayName": "Tier", "type": "ATTRIBUTE_TYPE_ENUM",
          "kind": "ATTRIBUTE_KIND_STATUS_SYSTEM",
          "allowedValues": [{"key": "silver", "label": "Silver"},
                            {"key": "gold", "label": "Gold"}]})";
  http::Response tier = as_admin("POST", "/v1/attributes?requestId=attr-tier", tier_body);
  ASSERT_EQ(tier.status, 200) << tier.body;
  EXPECT_EQ(Parse<v1::Attribute>(tier.body).editable_by(), v1::ATTRIBUTE_EDITOR_OPERATOR);
  http::Response replay = as_admin("POST", "/v1/attributes?requestId=attr-tier", tier_body);
  ASSERT_EQ(replay.status, 200) << replay.body;
  http::Response size = as_admin(
      "POST", "/v1/attributes",
      R"({"key": "shoe_size", "displayName": "Shoe size", "type": "ATTRIBUTE_TYPE_NUMBER",
          "numberScale": 1, "requiredAtRegistration": true,
          "editableBy": "ATTRIBUTE_EDITOR_CLIENT"})");
  ASSERT_EQ(size.status, 200) << size.body;
  http::Response listed = as_admin("GET", "/v1/attributes");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Parse<v1::ListAttributesResponse>(listed.body).attributes_size(), 2);

  // Registration needs the required answer; a till may give it.
  const std::string phone = absl::StrCat("+7906", UniqueDigits(7));
  http::Response missing =
      Send("POST", "/v1/clients", absl::StrCat(R"({"phone": ")", phone, R"("})"),
           program->pos_api_key);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_THAT(missing.body, HasSubstr("client.attributes"));
  http::Response registered = Send(
      "POST", "/v1/clients",
      absl::StrCat(R"({"phone": ")", phone,
                   R"(", "attributes": [{"key": "shoe_size", "numberValue": "42.5"}]})"),
      program->pos_api_key);
  ASSERT_EQ(registered.status, 200) << registered.body;
  const std::string client = Parse<v1::Client>(registered.body).client_id();
  const std::string values_path = absl::StrCat("/v1/clients/", client, "/attributes");

  http::Response silver =
      as_admin("POST", values_path + ":set",
               R"({"values": [{"key": "tier", "enumValue": "silver"}], "reason": "welcome"})");
  ASSERT_EQ(silver.status, 200) << silver.body;
  http::Response gold = as_admin("POST", values_path + ":set",
                                 R"({"values": [{"key": "tier", "enumValue": "gold"}],
                                     "requestId": "set-gold"})");
  ASSERT_EQ(gold.status, 200) << gold.body;
  const v1::ClientAttributes values = Parse<v1::ClientAttributes>(gold.body);
  ASSERT_EQ(values.values_size(), 2);
  EXPECT_EQ(values.values(0).key(), "shoe_size");
  EXPECT_EQ(values.values(0).number_value(), "42.5");
  EXPECT_EQ(values.values(1).enum_value(), "gold");

  // Bad input names the field and stores nothing.
  struct Bad {
    std::string body;
    std::string field;
  };
  for (const Bad& bad : std::vector<Bad>{
           {R"({"values": [{"key": "tier", "enumValue": "platinum"}]})", "values[0].enum_value"},
           {R"({"values": [{"key": "tier", "enumValue": "silver"},
                           {"key": "nope", "stringValue": "x"}]})",
            "values[1].key"},
           {R"({"values": [{"key": "shoe_size", "boolValue": true}]})", "values[0].bool_value"},
           {R"({"values": [{"key": "shoe_size", "numberValue": "1.25"}]})",
            "values[0].number_value"},
           {R"({"clearKeys": ["tier"], "source": "ATTRIBUTE_CHANGE_SOURCE_BATCH"})", "source"}}) {
    http::Response refused = as_admin("POST", values_path + ":set", bad.body);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_THAT(refused.body, HasSubstr(bad.field)) << bad.body;
  }
  http::Response after = as_admin("GET", values_path);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(Parse<v1::ClientAttributes>(after.body).values(1).enum_value(), "gold");

  // The status history, newest first, with who and why.
  http::Response history = as_admin(
      "GET", absl::StrCat("/v1/clients/", client, "/status-history?attributeKey=tier&pageSize=1"));
  ASSERT_EQ(history.status, 200) << history.body;
  const v1::ListStatusHistoryResponse newest = Parse<v1::ListStatusHistoryResponse>(history.body);
  ASSERT_EQ(newest.changes_size(), 1);
  EXPECT_EQ(newest.changes(0).old_value(), "silver");
  EXPECT_EQ(newest.changes(0).new_value(), "gold");
  EXPECT_EQ(newest.changes(0).source(), v1::ATTRIBUTE_CHANGE_SOURCE_OPERATOR);
  EXPECT_FALSE(newest.changes(0).changed_by().empty());
  http::Response older =
      as_admin("GET", absl::StrCat("/v1/clients/", client,
                                   "/status-history?pageSize=1&pageToken=", newest.next_page_token()));
  ASSERT_EQ(older.status, 200) << older.body;
  const v1::ListStatusHistoryResponse first = Parse<v1::ListStatusHistoryResponse>(older.body);
  ASSERT_EQ(first.changes_size(), 1);
  EXPECT_EQ(first.changes(0).new_value(), "silver");
  EXPECT_EQ(first.changes(0).reason(), "welcome");

  // Once clients hold values, the type is fixed.
  http::Response retype = as_admin("PATCH", "/v1/attributes/tier?updateMask=type,kind",
                                   R"({"type": "ATTRIBUTE_TYPE_LIST",
                                       "kind": "ATTRIBUTE_KIND_QUESTIONNAIRE"})");
  EXPECT_EQ(retype.status, 400) << retype.body;
  EXPECT_THAT(retype.body, HasSubstr("attribute.type"));
  http::Response renamed = as_admin("PATCH", "/v1/attributes/tier?updateMask=displayName",
                                    R"({"displayName": "Status"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(Parse<v1::Attribute>(renamed.body).display_name(), "Status");

  // Another program sees neither the client nor the attribute; a till key
  // has no attribute routes.
  EXPECT_EQ(Admin("GET", values_path).status, 404);
  EXPECT_EQ(Admin("POST", values_path + ":set", R"({"clearKeys": ["tier"]})").status, 404);
  EXPECT_EQ(Admin("GET", "/v1/attributes/tier").status, 404);
  EXPECT_EQ(Send("GET", values_path, "", program->pos_api_key).status, 403);
  EXPECT_EQ(Send("GET", "/v1/attributes", "", program->pos_api_key).status, 403);

  http::Response archived = as_admin("POST", "/v1/attributes/tier:archive", "{}");
  ASSERT_EQ(archived.status, 200) << archived.body;
  EXPECT_TRUE(Parse<v1::Attribute>(archived.body).archived());
  http::Response frozen = as_admin("POST", values_path + ":set", R"({"clearKeys": ["tier"]})");
  EXPECT_EQ(frozen.status, 400) << frozen.body;
  EXPECT_THAT(frozen.body, HasSubstr("clear_keys[0]"));
}

}  // namespace
}  // namespace loyalty::e2e
