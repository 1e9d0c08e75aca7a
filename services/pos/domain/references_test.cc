#include "services/pos/domain/references.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::pos {
namespace {

std::optional<std::string> FieldOf(ReferenceKind kind, Reference reference) {
  absl::Status status = ValidateReference(kind, reference, "reference");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return ViolatedField(status);
}

std::optional<std::string> FieldOf(Store store) {
  absl::Status status = ValidateStore(store, "store");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return ViolatedField(status);
}

TEST(CodeTest, AcceptsCodesAndFormerFreeTextPartnerIds) {
  for (const char* id : {"north", "OFFLINE", "Ромашка ООО", "a.b-c_d 1", "x"}) {
    EXPECT_TRUE(ValidateCode(id, "reference.id").ok()) << id;
  }
  EXPECT_TRUE(ValidateCode(std::string(128, 'a'), "reference.id").ok());
}

TEST(CodeTest, RefusesWhatCannotBeAPathSegmentOrKey) {
  for (const std::string& id :
       {std::string(), std::string(129, 'a'), std::string("a/b"), std::string("tab\there"),
        std::string(" padded"), std::string("padded "), std::string("\xff")}) {
    absl::Status status = ValidateCode(id, "reference.id");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(ViolatedField(status), "reference.id") << id;
  }
}

TEST(ValidateReferenceTest, TrimsTheNameAndAcceptsEachKindsOwnFields) {
  Reference partner{.name = "  North Ltd ", .legal_name = "ООО Север", .tax_id = "7707083893"};
  ASSERT_TRUE(ValidateReference(ReferenceKind::kPartner, partner, "reference").ok());
  EXPECT_EQ(partner.name, "North Ltd");
  Reference city{.name = "Kazan", .region = "Tatarstan", .time_zone = "Europe/Moscow"};
  EXPECT_TRUE(ValidateReference(ReferenceKind::kCity, city, "reference").ok());
  Reference channel{.name = "Online"};
  EXPECT_TRUE(ValidateReference(ReferenceKind::kSalesChannel, channel, "reference").ok());
  Reference twelve_digit_inn{.name = "IP Ivanov", .tax_id = "500100732259"};
  EXPECT_TRUE(ValidateReference(ReferenceKind::kPartner, twelve_digit_inn, "reference").ok());
}

TEST(ValidateReferenceTest, NamesTheBadField) {
  EXPECT_EQ(FieldOf(ReferenceKind::kStoreType, {.name = "   "}), "reference.name");
  EXPECT_EQ(FieldOf(ReferenceKind::kStoreType, {.name = std::string(201, 'n')}),
            "reference.name");
  EXPECT_EQ(FieldOf(ReferenceKind::kPartner, {.name = "P", .tax_id = "12345"}),
            "reference.tax_id");
  EXPECT_EQ(FieldOf(ReferenceKind::kPartner, {.name = "P", .tax_id = "77070838a3"}),
            "reference.tax_id");
  EXPECT_EQ(FieldOf(ReferenceKind::kCity, {.name = "C", .time_zone = "Mars/Olympus"}),
            "reference.time_zone");
  EXPECT_EQ(FieldOf(ReferenceKind::kCity, {.name = "C", .region = "line\nbreak"}),
            "reference.region");
}

TEST(ValidateReferenceTest, RefusesFieldsOfAnotherKind) {
  EXPECT_EQ(FieldOf(ReferenceKind::kCity, {.name = "C", .tax_id = "7707083893"}),
            "reference.tax_id");
  EXPECT_EQ(FieldOf(ReferenceKind::kSalesChannel, {.name = "S", .legal_name = "L"}),
            "reference.legal_name");
  EXPECT_EQ(FieldOf(ReferenceKind::kPartner, {.name = "P", .region = "R"}), "reference.region");
  EXPECT_EQ(FieldOf(ReferenceKind::kStoreType, {.name = "T", .time_zone = "UTC"}),
            "reference.time_zone");
}

TEST(ValidateStoreTest, AcceptsAFullStoreAndTrimsItsName) {
  Store store{.name = " Main ",
              .city = "Kazan",
              .partner_id = "north",
              .store_type_id = "hyper",
              .city_id = "kzn",
              .sales_channel_id = "offline",
              .address = "Baumana 1",
              .time_zone = "Europe/Moscow"};
  ASSERT_TRUE(ValidateStore(store, "store").ok());
  EXPECT_EQ(store.name, "Main");
  Store bare{.name = "Kiosk"};
  EXPECT_TRUE(ValidateStore(bare, "store").ok());
}

TEST(ValidateStoreTest, NamesTheBadField) {
  EXPECT_EQ(FieldOf({.name = ""}), "store.name");
  EXPECT_EQ(FieldOf({.name = "S", .city = std::string(101, 'c')}), "store.city");
  EXPECT_EQ(FieldOf({.name = "S", .partner_id = "a\x01"}), "store.partner_id");
  EXPECT_EQ(FieldOf({.name = "S", .partner_id = std::string(129, 'p')}), "store.partner_id");
  EXPECT_EQ(FieldOf({.name = "S", .store_type_id = "a/b"}), "store.store_type_id");
  EXPECT_EQ(FieldOf({.name = "S", .city_id = " x"}), "store.city_id");
  EXPECT_EQ(FieldOf({.name = "S", .sales_channel_id = "\t"}), "store.sales_channel_id");
  EXPECT_EQ(FieldOf({.name = "S", .address = std::string(501, 'a')}), "store.address");
  EXPECT_EQ(FieldOf({.name = "S", .time_zone = "Nowhere/Town"}), "store.time_zone");
}

}  // namespace
}  // namespace loyalty::pos
