// The POS reference lists and the stores that name them, against a real
// PostgreSQL: ids and idempotency, pages, program isolation, and the
// checks (in the API's transaction and in the schema) that a store names
// existing, unarchived entries.

#include "services/pos/storage/reference_store.h"

#include <set>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/outbox/outbox.h"
#include "libs/testing/migrated_database.h"
#include "services/pos/storage/pos_database_test.h"
#include "services/pos/storage/pos_store.h"

namespace loyalty::pos {
namespace {

constexpr char kProgram[] = "21111111-2222-4333-8444-555555555555";
constexpr char kOtherProgram[] = "29999999-2222-4333-8444-555555555555";

class ReferenceStoreTest : public PosDatabaseTest {
 protected:

  // A unique id for this test run, so tests do not see each other's rows.
  static std::string Unique(const std::string& prefix) {
    static int counter = 0;
    return absl::StrCat(prefix, "-", ++counter);
  }

  Reference MustCreate(const std::string& program, ReferenceKind kind, Reference reference) {
    auto created = references_.Create(program, kind, reference, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Reference{};
  }

  int64_t Count(const std::string& sql) {
    auto value = testing::QueryInt(*pool_, sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }

  ReferenceStore references_{*pool_};
  PosStore stores_{*pool_};
};


TEST_F(ReferenceStoreTest, CreatesWithGivenOrGeneratedIdsOncePerRequest) {
  const std::string id = Unique("north");
  Reference given = MustCreate(kProgram, ReferenceKind::kPartner,
                               {.id = id, .name = "North", .tax_id = "7707083893"});
  EXPECT_EQ(given.id, id);
  EXPECT_EQ(given.tax_id, "7707083893");
  EXPECT_FALSE(given.archived);

  auto taken = references_.Create(kProgram, ReferenceKind::kPartner, {.id = id, .name = "N2"}, "");
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(taken.status()), "reference.id");
  // Ids are per list: a city may share a partner's code.
  MustCreate(kProgram, ReferenceKind::kCity, {.id = id, .name = "North city"});

  const std::string request = Unique("req");
  auto first = references_.Create(kProgram, ReferenceKind::kSalesChannel, {.name = "Online"},
                                  request);
  auto again = references_.Create(kProgram, ReferenceKind::kSalesChannel, {.name = "Online"},
                                  request);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->id, again->id);
  EXPECT_EQ(first->id.size(), 36u);  // a UUID
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM reference_items WHERE request_id = '",
                               request, "'")),
            1);
}

TEST_F(ReferenceStoreTest, OtherProgramsEntriesAreNotFound) {
  Reference mine = MustCreate(kProgram, ReferenceKind::kStoreType, {.name = "Hyper"});
  EXPECT_EQ(references_.Get(kOtherProgram, ReferenceKind::kStoreType, mine.id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(references_.Get(kProgram, ReferenceKind::kCity, mine.id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(references_
                .SetArchived(kOtherProgram, ReferenceKind::kStoreType, mine.id, true)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  auto page = references_.List(kOtherProgram, ReferenceKind::kStoreType, 50, "", true);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->references.empty());
}

TEST_F(ReferenceStoreTest, ListsByNameInPagesAndHidesArchivedUnlessAsked) {
  constexpr char kPaged[] = "31111111-2222-4333-8444-555555555555";
  for (const char* name : {"E", "C", "A", "D", "B"}) {
    MustCreate(kPaged, ReferenceKind::kCity, {.name = name});
  }
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = references_.List(kPaged, ReferenceKind::kCity, 2, token, false);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Reference& reference : page->references) names.push_back(reference.name);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"A", "B", "C", "D", "E"}));
  EXPECT_EQ(pages, 3);

  auto all = references_.List(kPaged, ReferenceKind::kCity, 50, "", false);
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(references_.SetArchived(kPaged, ReferenceKind::kCity, all->references[1].id, true)
                  .ok());
  auto visible = references_.List(kPaged, ReferenceKind::kCity, 50, "", false);
  auto everything = references_.List(kPaged, ReferenceKind::kCity, 50, "", true);
  ASSERT_TRUE(visible.ok() && everything.ok());
  EXPECT_EQ(visible->references.size(), 4u);
  EXPECT_EQ(everything->references.size(), 5u);
  EXPECT_TRUE(everything->references[1].archived);

  EXPECT_EQ(ViolatedField(
                references_.List(kPaged, ReferenceKind::kCity, 2, "garbage!", false).status()),
            "page_token");
}

TEST_F(ReferenceStoreTest, UpdateChangesTheEntryInOneTransaction) {
  Reference city = MustCreate(kProgram, ReferenceKind::kCity, {.name = "Kazan"});
  auto updated =
      references_.Update(kProgram, ReferenceKind::kCity, city.id, [](Reference& reference) {
        reference.region = "Tatarstan";
        return absl::OkStatus();
      });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->name, "Kazan");
  EXPECT_EQ(updated->region, "Tatarstan");
  auto refused =
      references_.Update(kProgram, ReferenceKind::kCity, city.id, [](Reference& reference) {
        reference.name = "changed";
        return InvalidField("reference.name", "no");
      });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(references_.Get(kProgram, ReferenceKind::kCity, city.id)->name, "Kazan");
}

TEST_F(ReferenceStoreTest, StoresNameOnlyExistingUnarchivedEntriesOfTheirProgram) {
  Reference partner = MustCreate(kProgram, ReferenceKind::kPartner, {.id = Unique("p"), .name = "P"});
  Reference type = MustCreate(kProgram, ReferenceKind::kStoreType, {.name = "Kiosk"});
  Reference city = MustCreate(kProgram, ReferenceKind::kCity, {.name = "Omsk"});
  Reference channel = MustCreate(kProgram, ReferenceKind::kSalesChannel, {.name = "Offline"});
  Reference foreign = MustCreate(kOtherProgram, ReferenceKind::kCity, {.name = "Elsewhere"});
  const int64_t stores_before = Count("SELECT count(*) FROM stores");

  auto field_of = [&](const Store& store) {
    auto created = stores_.CreateStore(kProgram, store, "");
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << created.status();
    return ViolatedField(created.status());
  };
  EXPECT_EQ(field_of({.name = "S", .partner_id = "nobody"}), "store.partner_id");
  EXPECT_EQ(field_of({.name = "S", .store_type_id = "nothing"}), "store.store_type_id");
  EXPECT_EQ(field_of({.name = "S", .city_id = foreign.id}), "store.city_id");
  // A code of another list is not an entry of this one.
  EXPECT_EQ(field_of({.name = "S", .sales_channel_id = type.id}), "store.sales_channel_id");
  ASSERT_TRUE(references_.SetArchived(kProgram, ReferenceKind::kCity, city.id, true).ok());
  EXPECT_EQ(field_of({.name = "S", .city_id = city.id}), "store.city_id");
  EXPECT_EQ(Count("SELECT count(*) FROM stores"), stores_before);

  auto store = stores_.CreateStore(kProgram,
                                   {.name = "Full",
                                    .partner_id = partner.id,
                                    .store_type_id = type.id,
                                    .sales_channel_id = channel.id,
                                    .address = "Lenina 1",
                                    .time_zone = "Asia/Omsk"},
                                   "");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->partner_id, partner.id);
  EXPECT_EQ(store->sales_channel_id, channel.id);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE event_type ="
                               " 'loyalty.pos.v1.StoreChanged' AND payload LIKE '%",
                               store->store_id, "%'")),
            1);
}

TEST_F(ReferenceStoreTest, UpdateStoreChecksChangedReferencesAndKeepsThePartner) {
  Reference type = MustCreate(kProgram, ReferenceKind::kStoreType, {.name = "Super"});
  Reference other_type = MustCreate(kProgram, ReferenceKind::kStoreType, {.name = "Mini"});
  Reference partner = MustCreate(kProgram, ReferenceKind::kPartner, {.id = Unique("p"), .name = "P"});
  auto store = stores_.CreateStore(
      kProgram, {.name = "S", .partner_id = partner.id, .store_type_id = type.id}, "");
  ASSERT_TRUE(store.ok()) << store.status();

  // Archiving an entry leaves the stores that already name it alone.
  ASSERT_TRUE(references_.SetArchived(kProgram, ReferenceKind::kStoreType, type.id, true).ok());
  ASSERT_TRUE(references_.SetArchived(kProgram, ReferenceKind::kPartner, partner.id, true).ok());
  auto renamed = stores_.UpdateStore(kProgram, store->store_id, [](Store& s) {
    s.name = "Renamed";
    s.archived = true;
    return absl::OkStatus();
  });
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(renamed->name, "Renamed");
  EXPECT_TRUE(renamed->archived);
  EXPECT_EQ(renamed->store_type_id, type.id);
  // The same update again changes nothing and tells nobody.
  auto retried = stores_.UpdateStore(kProgram, store->store_id, [](Store& s) {
    s.name = "Renamed";
    s.archived = true;
    return absl::OkStatus();
  });
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->update_time, renamed->update_time);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM outbox WHERE event_type ="
                               " 'loyalty.pos.v1.StoreChanged' AND payload LIKE '%",
                               store->store_id, "%'")),
            2);

  ASSERT_TRUE(references_.SetArchived(kProgram, ReferenceKind::kStoreType, other_type.id, true)
                  .ok());
  auto to_archived = stores_.UpdateStore(kProgram, store->store_id, [&](Store& s) {
    s.store_type_id = other_type.id;
    return absl::OkStatus();
  });
  EXPECT_EQ(ViolatedField(to_archived.status()), "store.store_type_id");
  auto new_partner = stores_.UpdateStore(kProgram, store->store_id, [](Store& s) {
    s.partner_id = "";
    return absl::OkStatus();
  });
  EXPECT_EQ(ViolatedField(new_partner.status()), "store.partner_id");
  EXPECT_EQ(stores_.GetStore(kProgram, store->store_id)->name, "Renamed");
  EXPECT_EQ(stores_.UpdateStore(kOtherProgram, store->store_id, [](Store&) {
                     return absl::OkStatus();
                   }).status().code(),
            absl::StatusCode::kNotFound);

  auto listed = stores_.ListStores(kProgram, 500, "", false);
  auto with_archived = stores_.ListStores(kProgram, 500, "", true);
  ASSERT_TRUE(listed.ok() && with_archived.ok());
  EXPECT_EQ(with_archived->stores.size(), listed->stores.size() + 1);
}

// Whatever writes the row, the schema refuses a store naming no entry.
TEST_F(ReferenceStoreTest, SchemaRefusesStoresNamingMissingEntries) {
  absl::Status status = pool_->Transact([](pg::Tx& tx) {
    tx.exec_params("INSERT INTO stores (store_id, program_id, name, city_id)"
                   " VALUES (gen_random_uuid(), $1, 'raw', 'no-such-city')",
                   std::string(kProgram));
    return absl::OkStatus();
  });
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.code(), absl::StatusCode::kAlreadyExists);
}

// Stores created before POS-8 named partners as free text; the migration
// turns those into entries so the stores stay valid.
TEST(ReferenceMigrationTest, ExistingStorePartnersBecomeEntries) {
  auto all = generated::PosMigrations();
  auto database = testing::StartMigratedDatabase("pos", all.subspan(0, 2));
  ASSERT_TRUE(database.ok()) << database.status();
  pg::Pool& pool = *(*database)->pool;
  ASSERT_TRUE(pool.Transact([](pg::Tx& tx) {
                    for (const char* partner : {"north", "north", "south", ""}) {
                      tx.exec_params("INSERT INTO stores (store_id, program_id, name, partner_id)"
                                     " VALUES (gen_random_uuid(), $1, 'old', $2)",
                                     std::string(kProgram), std::string(partner));
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(pg::ApplyMigrations(pool, "pos", outbox::WithOutboxTable(all)).ok());
  ReferenceStore references(pool);
  auto partners = references.List(kProgram, ReferenceKind::kPartner, 50, "", false);
  ASSERT_TRUE(partners.ok()) << partners.status();
  ASSERT_EQ(partners->references.size(), 2u);
  EXPECT_EQ(partners->references[0].id, "north");
  EXPECT_EQ(partners->references[1].id, "south");
}

}  // namespace
}  // namespace loyalty::pos
