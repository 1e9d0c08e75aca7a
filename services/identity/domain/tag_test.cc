#include "services/identity/domain/tag.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;

TEST(TagNameTest, TrimsAndCountsCharactersNotBytes) {
  std::string name = "  VIP  ";
  ASSERT_TRUE(NormalizeTagName("tag.name", name).ok());
  EXPECT_EQ(name, "VIP");
  // 64 Cyrillic letters are 128 bytes and still fit; 65 do not.
  std::string longest;
  for (int i = 0; i < 64; ++i) longest += "Ж";
  EXPECT_TRUE(NormalizeTagName("tag.name", longest).ok());
  std::string too_long = longest + "Ж";
  EXPECT_EQ(ViolatedField(NormalizeTagName("tag.name", too_long)), "tag.name");
}

TEST(TagNameTest, RefusesEmptyControlCharactersAndBrokenUtf8) {
  for (std::string bad :
       {std::string(""), std::string("   "), std::string("a\tb"), std::string("a\nb"),
        std::string("a\x7f"), std::string("\xD0"), std::string("\xC0\xAF")}) {
    absl::Status status = NormalizeTagName("tag.name", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ViolatedField(status), "tag.name") << bad;
  }
}

TEST(TagColourTest, HashAndSixHexDigitsUpperCased) {
  std::string colour = "#ff88aA";
  ASSERT_TRUE(NormalizeTagColour("tag.colour", colour).ok());
  EXPECT_EQ(colour, "#FF88AA");
  for (std::string bad : {"", "#FFF", "FF8800", "#FF880", "#FF88000", "#GG8800", "#FF 800"}) {
    EXPECT_EQ(ViolatedField(NormalizeTagColour("tag.colour", bad)), "tag.colour") << bad;
  }
}

TEST(TagSpecTest, NamesTheFieldUnderThePrefix) {
  TagSpec spec{.name = " Gold ", .colour = "#abcdef"};
  ASSERT_TRUE(NormalizeTagSpec(spec, "tag.").ok());
  EXPECT_EQ(spec, (TagSpec{.name = "Gold", .colour = "#ABCDEF"}));
  TagSpec no_colour{.name = "Gold"};
  EXPECT_EQ(ViolatedField(NormalizeTagSpec(no_colour, "tag.")), "tag.colour");
  TagSpec no_name{.colour = "#000000"};
  EXPECT_EQ(ViolatedField(NormalizeTagSpec(no_name, "tag.")), "tag.name");
}

TEST(TagMaskTest, TakesOnlyTheNamedPaths) {
  const TagSpec input{.name = "New", .colour = "#111111"};
  TagSpec stored{.name = "Old", .colour = "#222222"};
  ASSERT_TRUE(ApplyTagMask({"colour"}, input, stored).ok());
  EXPECT_EQ(stored, (TagSpec{.name = "Old", .colour = "#111111"}));
  ASSERT_TRUE(ApplyTagMask({}, input, stored).ok());
  EXPECT_EQ(stored, input);
  EXPECT_EQ(ViolatedField(ApplyTagMask({"name", "tag_id"}, input, stored)), "update_mask");
}

TEST(TagLimitTest, RefusesTheTagPastTheLimit) {
  EXPECT_TRUE(CheckTagLimit(kMaxTagsPerProgram - 1).ok());
  EXPECT_EQ(CheckTagLimit(kMaxTagsPerProgram).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ClientIdsTest, LowerCasesAndDropsDuplicates) {
  auto ids = NormalizeClientIds(
      "client_ids", {"9B2F8C1E-0000-4000-8000-000000000001", "9b2f8c1e-0000-4000-8000-000000000002",
                     "9b2f8c1e-0000-4000-8000-000000000001"});
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre("9b2f8c1e-0000-4000-8000-000000000001",
                                "9b2f8c1e-0000-4000-8000-000000000002"));
}

TEST(ClientIdsTest, NamesTheBadIdAndBoundsTheCount) {
  EXPECT_EQ(ViolatedField(NormalizeClientIds("client_ids", {}).status()), "client_ids");
  EXPECT_EQ(ViolatedField(
                NormalizeClientIds("client_ids", {"9b2f8c1e-0000-4000-8000-000000000001", "nope"})
                    .status()),
            "client_ids[1]");
  std::vector<std::string> many(kMaxClientsPerTagCall, "9b2f8c1e-0000-4000-8000-000000000001");
  EXPECT_TRUE(NormalizeClientIds("client_ids", many).ok());
  many.push_back(many.front());
  EXPECT_EQ(ViolatedField(NormalizeClientIds("client_ids", many).status()), "client_ids");
}

}  // namespace
}  // namespace loyalty::identity
