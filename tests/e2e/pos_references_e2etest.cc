// POS references (POS-8) through the real gateway over HTTP: each of the
// four lists (partners, store types, sales channels, cities) is created
// (and replayed), read, listed in pages, changed with an update mask,
// archived and brought back; stores name entries only when they exist and
// are not archived, change with an update mask and keep their partner; bad
// input is 400 naming the field, another program's entries are 404, and a
// till's key reads what it needs but writes nothing.

#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/pos/v1/reference_service.pb.h"
#include "loyalty/pos/v1/store_service.pb.h"
#include "tests/e2e/json.h"
#include "tests/e2e/shared_stack.h"

namespace loyalty::e2e {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::loyalty::pos::v1;

class PosReferencesTest : public SharedStackTest {
 protected:
  static v1::Reference Create(const std::string& list, const std::string& body) {
    http::Response created = Admin("POST", absl::StrCat("/v1/", list), body);
    EXPECT_EQ(created.status, 200) << list << ": " << created.body;
    return Parse<v1::Reference>(created.body);
  }

  // Every entry of `list` the admin sees, walking pages of two.
  static std::set<std::string> ListedIds(const std::string& list, bool show_archived) {
    std::set<std::string> ids;
    std::string token;
    do {
      http::Response page =
          Admin("GET", absl::StrCat("/v1/", list, "?pageSize=2&showArchived=",
                                    show_archived ? "true" : "false", "&pageToken=", token));
      EXPECT_EQ(page.status, 200) << page.body;
      if (page.status != 200) break;
      auto parsed = Parse<v1::ListReferencesResponse>(page.body);
      EXPECT_LE(parsed.references_size(), 2);
      for (const v1::Reference& reference : parsed.references()) ids.insert(reference.id());
      token = parsed.next_page_token();
    } while (!token.empty());
    return ids;
  }
};

TEST_F(PosReferencesTest, EachListIsCreatedReadListedUpdatedAndArchived) {
  const std::string suffix = UniqueDigits(8);
  struct List {
    std::string path;
    std::string extra;  // the list's own fields
  };
  const List lists[] = {
      {"partners", R"(, "legalName": "OOO Sever", "taxId": "7707083893")"},
      {"storeTypes", ""},
      {"salesChannels", ""},
      {"cities", R"(, "region": "Tatarstan", "timeZone": "Europe/Moscow")"},
  };
  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/references.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  for (const List& list : lists) {
    SCOPED_TRACE(list.path);
    const std::string id = absl::StrCat("code-", suffix);
    const std::string create =
        absl::StrCat("/v1/", list.path, "?requestId=", list.path, "-", suffix);
    const std::string body =
        absl::StrCat(R"({"id": ")", id, R"(", "name": " First )", suffix, R"( ")", list.extra, "}");
    http::Response created = Admin("POST", create, body);
    ASSERT_EQ(created.status, 200) << created.body;
    const v1::Reference entry = Parse<v1::Reference>(created.body);
    EXPECT_EQ(entry.id(), id);
    EXPECT_EQ(entry.name(), absl::StrCat("First ", suffix));
    // A retry is the same entry; the same id again is a conflict.
    http::Response replay = Admin("POST", create, body);
    ASSERT_EQ(replay.status, 200) << replay.body;
    EXPECT_EQ(Parse<v1::Reference>(replay.body).create_time().seconds(),
              entry.create_time().seconds());
    EXPECT_EQ(Admin("POST", absl::StrCat("/v1/", list.path), body).status, 409);
    // Without an id the server makes one up.
    const v1::Reference generated =
        Create(list.path, absl::StrCat(R"({"name": "Second )", suffix, R"("})"));
    EXPECT_EQ(generated.id().size(), 36u);

    http::Response got = Pos("GET", absl::StrCat("/v1/", list.path, "/", id));
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(Parse<v1::Reference>(got.body).name(), entry.name());
    std::set<std::string> listed = ListedIds(list.path, false);
    EXPECT_TRUE(listed.count(id) == 1 && listed.count(generated.id()) == 1);

    http::Response renamed =
        Admin("PATCH", absl::StrCat("/v1/", list.path, "/", id, "?updateMask=name"),
              R"({"name": "Renamed", "region": "ignored: not in the mask"})");
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(Parse<v1::Reference>(renamed.body).name(), "Renamed");

    http::Response archived = Admin("POST", absl::StrCat("/v1/", list.path, "/", id, ":archive"), "{}");
    ASSERT_EQ(archived.status, 200) << archived.body;
    EXPECT_TRUE(Parse<v1::Reference>(archived.body).archived());
    EXPECT_EQ(ListedIds(list.path, false).count(id), 0u);
    EXPECT_EQ(ListedIds(list.path, true).count(id), 1u);
    http::Response back =
        Admin("POST", absl::StrCat("/v1/", list.path, "/", id, ":unarchive"), "{}");
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_FALSE(Parse<v1::Reference>(back.body).archived());

    // A till reads but does not write; another program does not see it.
    EXPECT_EQ(Pos("POST", absl::StrCat("/v1/", list.path), R"({"name": "x"})").status, 403);
    EXPECT_EQ(Send("GET", absl::StrCat("/v1/", list.path, "/", id), "", other->api_key).status,
              404);
    EXPECT_EQ(Send("POST", absl::StrCat("/v1/", list.path, "/", id, ":archive"), "{}",
                   other->api_key)
                  .status,
              404);
  }
}

TEST_F(PosReferencesTest, BadEntriesAreRefusedNamingTheField) {
  auto refused = [](const std::string& method, const std::string& path, const std::string& body,
                    const std::string& field) {
    http::Response response = Admin(method, path, body);
    EXPECT_EQ(response.status, 400) << path << " " << body << ": " << response.body;
    EXPECT_THAT(response.body, HasSubstr(field)) << body;
  };
  refused("POST", "/v1/partners", R"({"name": "P", "taxId": "123"})", "reference.tax_id");
  refused("POST", "/v1/cities", R"({"name": "C", "timeZone": "Mars/Base"})", "reference.time_zone");
  refused("POST", "/v1/storeTypes", R"({"name": "T", "taxId": "7707083893"})", "reference.tax_id");
  refused("POST", "/v1/salesChannels", R"({"name": "   "})", "reference.name");
  refused("POST", "/v1/partners", R"({"id": "bad\tid", "name": "P"})", "reference.id");
  const v1::Reference city =
      Create("cities", absl::StrCat(R"({"name": "Tomsk )", UniqueDigits(6), R"("})"));
  refused("PATCH", absl::StrCat("/v1/cities/", city.id(), "?updateMask=colour"), "{}",
          "update_mask");
  refused("PATCH", absl::StrCat("/v1/cities/", city.id(), "?updateMask=name"), R"({"name": ""})",
          "reference.name");
  http::Response unchanged = Admin("GET", absl::StrCat("/v1/cities/", city.id()));
  EXPECT_EQ(Parse<v1::Reference>(unchanged.body).name(), city.name());
}

TEST_F(PosReferencesTest, StoresNameExistingEntriesAndChangeWithAMask) {
  const std::string suffix = UniqueDigits(8);
  const v1::Reference partner = Create(
      "partners", absl::StrCat(R"({"id": "partner-)", suffix, R"(", "name": "Partner"})"));
  const v1::Reference type = Create("storeTypes", R"({"name": "Hypermarket"})");
  const v1::Reference channel = Create("salesChannels", R"({"name": "Offline"})");
  const v1::Reference city = Create("cities", R"({"name": "Kazan"})");
  const v1::Reference old_city = Create("cities", R"({"name": "Old Kazan"})");
  ASSERT_EQ(Admin("POST", absl::StrCat("/v1/cities/", old_city.id(), ":archive"), "{}").status,
            200);

  auto refused = [](const std::string& body, const std::string& field) {
    http::Response response = Admin("POST", "/v1/stores", body);
    EXPECT_EQ(response.status, 400) << body << ": " << response.body;
    EXPECT_THAT(response.body, HasSubstr(field)) << body;
  };
  refused(R"({"name": "S", "partnerId": "nobody-at-all"})", "store.partner_id");
  refused(R"({"name": "S", "storeTypeId": "no-such-type"})", "store.store_type_id");
  refused(absl::StrCat(R"({"name": "S", "cityId": ")", old_city.id(), R"("})"), "store.city_id");
  refused(absl::StrCat(R"({"name": "S", "salesChannelId": ")", city.id(), R"("})"),
          "store.sales_channel_id");
  refused(R"({"name": "S", "timeZone": "Nowhere"})", "store.time_zone");

  http::Response created = Admin(
      "POST", absl::StrCat("/v1/stores?requestId=store-", suffix),
      absl::StrCat(R"({"name": "Kazan Mega", "city": "Kazan", "address": "Pobedy 141",)",
                   R"( "timeZone": "Europe/Moscow", "partnerId": ")", partner.id(),
                   R"(", "storeTypeId": ")", type.id(), R"(", "salesChannelId": ")",
                   channel.id(), R"(", "cityId": ")", city.id(), R"("})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const v1::Store store = Parse<v1::Store>(created.body);
  EXPECT_EQ(store.partner_id(), partner.id());
  EXPECT_EQ(store.city_id(), city.id());
  EXPECT_EQ(store.address(), "Pobedy 141");
  http::Response read = Pos("GET", absl::StrCat("/v1/stores/", store.store_id()));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Parse<v1::Store>(read.body).store_type_id(), type.id());

  const std::string patch = absl::StrCat("/v1/stores/", store.store_id());
  http::Response moved = Admin("PATCH", absl::StrCat(patch, "?updateMask=name,address"),
                               R"({"name": "Kazan Mega 2", "address": "Pobedy 143"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(Parse<v1::Store>(moved.body).address(), "Pobedy 143");
  EXPECT_EQ(Parse<v1::Store>(moved.body).city_id(), city.id());
  http::Response to_archived =
      Admin("PATCH", absl::StrCat(patch, "?updateMask=cityId"),
            absl::StrCat(R"({"cityId": ")", old_city.id(), R"("})"));
  EXPECT_EQ(to_archived.status, 400) << to_archived.body;
  EXPECT_THAT(to_archived.body, HasSubstr("store.city_id"));
  http::Response partner_change =
      Admin("PATCH", absl::StrCat(patch, "?updateMask=partnerId"), R"({"partnerId": ""})");
  EXPECT_EQ(partner_change.status, 400) << partner_change.body;
  EXPECT_THAT(partner_change.body, HasSubstr("update_mask"));
  EXPECT_EQ(Pos("PATCH", absl::StrCat(patch, "?updateMask=name"), R"({"name": "x"})").status, 403);

  http::Response archived =
      Admin("PATCH", absl::StrCat(patch, "?updateMask=archived"), R"({"archived": true})");
  ASSERT_EQ(archived.status, 200) << archived.body;
  EXPECT_TRUE(Parse<v1::Store>(archived.body).archived());
  std::set<std::string> visible;
  std::set<std::string> all;
  for (bool show_archived : {false, true}) {
    std::string token;
    do {
      http::Response page = Admin(
          "GET", absl::StrCat("/v1/stores?pageSize=100&showArchived=",
                              show_archived ? "true" : "false", "&pageToken=", token));
      ASSERT_EQ(page.status, 200) << page.body;
      auto parsed = Parse<v1::ListStoresResponse>(page.body);
      for (const v1::Store& s : parsed.stores()) (show_archived ? all : visible).insert(s.store_id());
      token = parsed.next_page_token();
    } while (!token.empty());
  }
  EXPECT_EQ(visible.count(store.store_id()), 0u);
  EXPECT_EQ(all.count(store.store_id()), 1u);

  auto other = stack_->CreateProgram(absl::StrCat(::testing::TempDir(), "/references-store.env"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(Send("PATCH", absl::StrCat(patch, "?updateMask=name"), R"({"name": "x"})",
                 other->api_key)
                .status,
            404);
}

}  // namespace
}  // namespace loyalty::e2e
