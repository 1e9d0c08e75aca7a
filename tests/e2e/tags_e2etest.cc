// Client tags (CLI-6) through the real gateway over HTTP: create (and
// replay), list, assign to a list of clients with an unknown id reported
// per id, list a tag's clients and a client's tags, rename, remove, delete;
// bad input is 400 naming the field, another program's tag is 404, and a
// POS key may not even read tags.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/identity/v1/identity_service.pb.h"
#include "loyalty/identity/v1/tags_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::identity::v1;

class TagsTest : public SharedStackTest {
 protected:
  static std::string NewClient() {
    http::Response client =
        Admin("POST", "/v1/clients", absl::StrCat(R"({"phone": "+7905)", UniqueDigits(7), R"("})"));
    EXPECT_EQ(client.status, 200) << client.body;
    return Parse<v1::Client>(client.body).client_id();
  }

  static v1::Tag NewTag(const std::string& name) {
    http::Response created = Admin(
        "POST", "/v1/tags", absl::StrCat(R"({"name": ")", name, R"(", "colour": "#00aa00"})"));
    EXPECT_EQ(created.status, 200) << created.body;
    return Parse<v1::Tag>(created.body);
  }

  static std::string ClientIds(const std::vector<std::string>& ids) {
    std::string body = R"({"clientIds": [)";
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::StrAppend(&body, i == 0 ? "" : ", ", "\"", ids[i], "\"");
    }
    return body + "]}";
  }
};

TEST_F(TagsTest, CreateAssignListRemoveDelete) {
  const std::string name = absl::StrCat("VIP ", UniqueDigits(8));
  const std::string path = absl::StrCat("/v1/tags?requestId=tag-", UniqueDigits(10));
  const std::string body = absl::StrCat(R"({"name": "  )", name, R"(  ", "colour": "#ff8800"})");
  http::Response created = Admin("POST", path, body);
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::Tag tag = Parse<v1::Tag>(created.body);
  EXPECT_EQ(tag.name(), name);
  EXPECT_EQ(tag.colour(), "#FF8800");
  // A retry returns the same tag; the same request id with other content
  // is a conflict naming it.
  http::Response replay = Admin("POST", path, body);
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Parse<v1::Tag>(replay.body).tag_id(), tag.tag_id());
  http::Response reused = Admin("POST", path, R"({"name": "Other", "colour": "#FF8800"})");
  EXPECT_EQ(reused.status, 409) << reused.body;
  EXPECT_THAT(reused.body, HasSubstr("request_id"));
  // Names are unique ignoring case.
  http::Response clash = Admin(
      "POST", "/v1/tags",
      absl::StrCat(R"({"name": ")", absl::AsciiStrToLower(name), R"(", "colour": "#000000"})"));
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_THAT(clash.body, HasSubstr("tag.name"));

  http::Response listed = Admin("GET", "/v1/tags?pageSize=500");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_THAT(listed.body, HasSubstr(tag.tag_id()));

  const std::string anna = NewClient();
  const std::string boris = NewClient();
  const std::string nobody = "9b2f8c1e-0000-4000-8000-000000000000";
  const std::string tag_path = absl::StrCat("/v1/tags/", tag.tag_id());
  http::Response assigned = Admin("POST", tag_path + ":assign", ClientIds({anna, boris, nobody}));
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  v1::ChangeTagClientsResponse result = Parse<v1::ChangeTagClientsResponse>(assigned.body);
  EXPECT_EQ(result.changed(), 2);
  EXPECT_EQ(result.unchanged(), 0);
  ASSERT_EQ(result.errors_size(), 1);
  EXPECT_EQ(result.errors(0).client_id(), nobody);
  EXPECT_EQ(result.errors(0).code(), 5);
  // Assigning again changes nothing.
  http::Response again = Admin("POST", tag_path + ":assign", ClientIds({anna}));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<v1::ChangeTagClientsResponse>(again.body).changed(), 0);
  EXPECT_EQ(Parse<v1::ChangeTagClientsResponse>(again.body).unchanged(), 1);

  http::Response clients = Admin("GET", tag_path + "/clients");
  ASSERT_EQ(clients.status, 200) << clients.body;
  EXPECT_EQ(Parse<v1::ListTagClientsResponse>(clients.body).assignments_size(), 2);
  http::Response of_anna = Admin("GET", absl::StrCat("/v1/clients/", anna, "/tags"));
  ASSERT_EQ(of_anna.status, 200) << of_anna.body;
  const v1::ListClientTagsResponse anna_tags = Parse<v1::ListClientTagsResponse>(of_anna.body);
  ASSERT_EQ(anna_tags.tags_size(), 1);
  EXPECT_EQ(anna_tags.tags(0).tag_id(), tag.tag_id());

  // Rename only; the colour stays.
  http::Response renamed = Admin("PATCH", tag_path + "?updateMask=name",
                                 absl::StrCat(R"({"name": "Gold )", UniqueDigits(8), R"("})"));
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_THAT(Parse<v1::Tag>(renamed.body).name(), HasSubstr("Gold "));
  EXPECT_EQ(Parse<v1::Tag>(renamed.body).colour(), "#FF8800");

  http::Response removed = Admin("POST", tag_path + ":remove", ClientIds({anna}));
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(Parse<v1::ChangeTagClientsResponse>(removed.body).changed(), 1);
  http::Response none = Admin("GET", absl::StrCat("/v1/clients/", anna, "/tags"));
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(Parse<v1::ListClientTagsResponse>(none.body).tags_size(), 0);

  http::Response deleted = Admin("DELETE", tag_path);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Parse<v1::DeleteTagResponse>(deleted.body).removed_assignments(), 1);
  EXPECT_EQ(Admin("GET", tag_path).status, 404);
  http::Response of_boris = Admin("GET", absl::StrCat("/v1/clients/", boris, "/tags"));
  ASSERT_EQ(of_boris.status, 200) << of_boris.body;
  EXPECT_EQ(Parse<v1::ListClientTagsResponse>(of_boris.body).tags_size(), 0);
}

TEST_F(TagsTest, BadInputNamesTheField) {
  http::Response colour = Admin("POST", "/v1/tags", R"({"name": "Red", "colour": "red"})");
  EXPECT_EQ(colour.status, 400) << colour.body;
  EXPECT_THAT(colour.body, HasSubstr("tag.colour"));
  http::Response name = Admin("POST", "/v1/tags", R"({"name": "   ", "colour": "#FF0000"})");
  EXPECT_EQ(name.status, 400) << name.body;
  EXPECT_THAT(name.body, HasSubstr("tag.name"));
  const v1::Tag tag = NewTag(absl::StrCat("Bad input ", UniqueDigits(8)));
  http::Response ids = Admin("POST", absl::StrCat("/v1/tags/", tag.tag_id(), ":assign"),
                             ClientIds({NewClient(), "not-a-uuid"}));
  EXPECT_EQ(ids.status, 400) << ids.body;
  EXPECT_THAT(ids.body, HasSubstr("client_ids[1]"));
  http::Response empty =
      Admin("POST", absl::StrCat("/v1/tags/", tag.tag_id(), ":assign"), ClientIds({}));
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_THAT(empty.body, HasSubstr("client_ids"));
  http::Response mask = Admin("PATCH", absl::StrCat("/v1/tags/", tag.tag_id(), "?updateMask=tagId"),
                              R"({"name": "x"})");
  EXPECT_EQ(mask.status, 400) << mask.body;
  EXPECT_THAT(mask.body, HasSubstr("update_mask"));
  http::Response id = Admin("GET", "/v1/tags/not-a-uuid");
  EXPECT_EQ(id.status, 400) << id.body;
  EXPECT_THAT(id.body, HasSubstr("tag_id"));
}

TEST_F(TagsTest, AnotherProgramsTagIsNotFound) {
  const v1::Tag tag = NewTag(absl::StrCat("Private ", UniqueDigits(8)));
  const std::string client = NewClient();
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/tags-other.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string tag_path = absl::StrCat("/v1/tags/", tag.tag_id());
  EXPECT_EQ(Send("GET", tag_path, "", other->api_key).status, 404);
  EXPECT_EQ(Send("POST", tag_path + ":assign", ClientIds({client}), other->api_key).status, 404);
  EXPECT_EQ(Send("DELETE", tag_path, "", other->api_key).status, 404);
  EXPECT_EQ(Send("GET", absl::StrCat("/v1/clients/", client, "/tags"), "", other->api_key).status,
            404);
  // Its own tag cannot take our client either: reported, not assigned.
  http::Response theirs =
      Send("POST", "/v1/tags", R"({"name": "Theirs", "colour": "#000000"})", other->api_key);
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  http::Response foreign =
      Send("POST", absl::StrCat("/v1/tags/", Parse<v1::Tag>(theirs.body).tag_id(), ":assign"),
           ClientIds({client}), other->api_key);
  ASSERT_EQ(foreign.status, 200) << foreign.body;
  EXPECT_EQ(Parse<v1::ChangeTagClientsResponse>(foreign.body).changed(), 0);
  EXPECT_EQ(Parse<v1::ChangeTagClientsResponse>(foreign.body).errors_size(), 1);
  // Still there for its own program.
  EXPECT_EQ(Admin("GET", tag_path).status, 200);
}

TEST_F(TagsTest, PosKeyIsForbidden) {
  const v1::Tag tag = NewTag(absl::StrCat("Till ", UniqueDigits(8)));
  EXPECT_EQ(Pos("GET", "/v1/tags").status, 403);
  EXPECT_EQ(Pos("POST", "/v1/tags", R"({"name": "Pos", "colour": "#000000"})").status, 403);
  EXPECT_EQ(Pos("POST", absl::StrCat("/v1/tags/", tag.tag_id(), ":assign"),
                ClientIds({"9b2f8c1e-0000-4000-8000-000000000000"}))
                .status,
            403);
}

}  // namespace
}  // namespace loyalty::e2e
