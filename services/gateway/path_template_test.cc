#include "services/gateway/path_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

PathTemplate MustParse(absl::string_view text) {
  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status();
  return parsed.ok() ? *parsed : PathTemplate();
}

std::optional<PathBindings> MatchPath(const PathTemplate& t, absl::string_view path) {
  absl::StatusOr<RequestPath> split = SplitRequestPath(path);
  EXPECT_TRUE(split.ok()) << path;
  if (!split.ok()) return std::nullopt;
  return t.Match(*split);
}

TEST(PathTemplateParse, LiteralsAndVariable) {
  PathTemplate t = MustParse("/v1/cards/{number}");
  ASSERT_EQ(t.segments().size(), 3u);
  EXPECT_EQ(t.segments()[0].kind, PathTemplate::SegmentKind::kLiteral);
  EXPECT_EQ(t.segments()[1].literal, "cards");
  EXPECT_EQ(t.segments()[2].kind, PathTemplate::SegmentKind::kSingle);
  ASSERT_EQ(t.variables().size(), 1u);
  EXPECT_EQ(t.variables()[0].field_path, "number");
  EXPECT_EQ(t.variables()[0].start, 2);
  EXPECT_EQ(t.variables()[0].end, 3);
  EXPECT_EQ(t.verb(), "");
}

TEST(PathTemplateParse, CustomVerb) {
  PathTemplate t = MustParse("/v1/pos/receipts:confirm");
  EXPECT_EQ(t.verb(), "confirm");
  ASSERT_EQ(t.segments().size(), 3u);
  EXPECT_EQ(t.segments()[2].literal, "receipts");
}

TEST(PathTemplateParse, MultiSegmentVariableAndVerb) {
  PathTemplate t = MustParse("/v1/{name=shelves/*/books/**}:get");
  EXPECT_EQ(t.verb(), "get");
  ASSERT_EQ(t.segments().size(), 5u);
  EXPECT_EQ(t.segments()[4].kind, PathTemplate::SegmentKind::kMulti);
  ASSERT_EQ(t.variables().size(), 1u);
  EXPECT_EQ(t.variables()[0].start, 1);
  EXPECT_EQ(t.variables()[0].end, 5);
}

TEST(PathTemplateParse, NestedFieldPath) {
  PathTemplate t = MustParse("/v1/clients/{client.id}/tags/{tag=*}");
  ASSERT_EQ(t.variables().size(), 2u);
  EXPECT_EQ(t.variables()[0].field_path, "client.id");
  EXPECT_EQ(t.variables()[1].field_path, "tag");
}

TEST(PathTemplateParse, RejectsMalformedTemplates) {
  for (absl::string_view bad :
       {"", "/", "v1/cards", "/v1/{number", "/v1/**/x", "/v1/{a}/{a}", "/v1//x", "/v1/{a={b}}",
        "/v1/x:", "/v1/{1a}", "/v1/{a.}", "/v1/x}", "/v1/a*b"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(PathTemplateMatch, BindsSingleVariable) {
  PathTemplate t = MustParse("/v1/cards/{number}");
  EXPECT_THAT(MatchPath(t, "/v1/cards/123"), testing::Optional(ElementsAre(Pair("number", "123"))));
  EXPECT_EQ(MatchPath(t, "/v1/cards"), std::nullopt);
  EXPECT_EQ(MatchPath(t, "/v1/cards/123/x"), std::nullopt);
  EXPECT_EQ(MatchPath(t, "/v1/cards/"), std::nullopt) << "empty segment";
  EXPECT_EQ(MatchPath(t, "/v2/cards/1"), std::nullopt);
}

TEST(PathTemplateMatch, DecodesSingleSegmentValuesFully) {
  PathTemplate t = MustParse("/v1/cards/{number}");
  EXPECT_THAT(MatchPath(t, "/v1/cards/a%20b%2Fc"),
              testing::Optional(ElementsAre(Pair("number", "a b/c"))));
  // Without a verb in the template a colon is just part of the value.
  EXPECT_THAT(MatchPath(t, "/v1/cards/a:b"), testing::Optional(ElementsAre(Pair("number", "a:b"))));
}

TEST(PathTemplateMatch, LiteralsCompareDecoded) {
  PathTemplate t = MustParse("/v1/cards");
  EXPECT_TRUE(MatchPath(t, "/v1/c%61rds").has_value());
}

TEST(PathTemplateMatch, CustomVerb) {
  PathTemplate t = MustParse("/v1/pos/receipts:confirm");
  EXPECT_TRUE(MatchPath(t, "/v1/pos/receipts:confirm").has_value());
  EXPECT_FALSE(MatchPath(t, "/v1/pos/receipts").has_value());
  EXPECT_FALSE(MatchPath(t, "/v1/pos/receipts:cancel").has_value());
  EXPECT_FALSE(MatchPath(t, "/v1/pos/:confirm").has_value());
}

TEST(PathTemplateMatch, VariableBeforeVerb) {
  PathTemplate t = MustParse("/v1/segments/{segment_id}:addMembers");
  EXPECT_THAT(MatchPath(t, "/v1/segments/s-1:addMembers"),
              testing::Optional(ElementsAre(Pair("segment_id", "s-1"))));
  EXPECT_FALSE(MatchPath(t, "/v1/segments/s-1").has_value());
}

TEST(PathTemplateMatch, MultiSegmentKeepsEncodedSlash) {
  PathTemplate t = MustParse("/v1/files/{path=**}");
  EXPECT_THAT(MatchPath(t, "/v1/files/a/b%2Fc/d%20e"),
              testing::Optional(ElementsAre(Pair("path", "a/b%2Fc/d e"))));
  // `**` matches zero or more segments.
  EXPECT_THAT(MatchPath(t, "/v1/files"), testing::Optional(ElementsAre(Pair("path", ""))));
}

TEST(PathTemplateMatch, VariableOverSeveralSegments) {
  PathTemplate t = MustParse("/v1/{name=shelves/*/books/*}");
  EXPECT_THAT(MatchPath(t, "/v1/shelves/s1/books/b2"),
              testing::Optional(ElementsAre(Pair("name", "shelves/s1/books/b2"))));
  EXPECT_FALSE(MatchPath(t, "/v1/shelves/s1/cds/b2").has_value());
}

TEST(PathTemplateMatch, UnnamedWildcards) {
  PathTemplate t = MustParse("/v1/*/items/{id}");
  EXPECT_THAT(MatchPath(t, "/v1/anything/items/7"),
              testing::Optional(ElementsAre(Pair("id", "7"))));
}

TEST(SplitRequestPath, RejectsBadInput) {
  EXPECT_FALSE(SplitRequestPath("v1/cards").ok());
  EXPECT_FALSE(SplitRequestPath("/v1/%zz").ok());
  EXPECT_FALSE(SplitRequestPath("/v1/%4").ok());
  EXPECT_FALSE(SplitRequestPath("/v1/%").ok());
  absl::StatusOr<RequestPath> ok = SplitRequestPath("/a/b%20c");
  ASSERT_TRUE(ok.ok());
  EXPECT_THAT(ok->raw_segments, ElementsAre("a", "b%20c"));
}

TEST(PercentDecode, Basics) {
  EXPECT_EQ(PercentDecode("a%2fb").value(), "a/b");
  EXPECT_EQ(PercentDecode("a%2Fb", /*keep_slash=*/true).value(), "a%2Fb");
  EXPECT_EQ(PercentDecode("%41%42").value(), "AB");
  EXPECT_FALSE(PercentDecode("%G1").ok());
}

TEST(PathTemplatePrecedence, MoreLiteralsWin) {
  PathTemplate literal = MustParse("/v1/stores/default");
  PathTemplate variable = MustParse("/v1/stores/{store_id}");
  EXPECT_TRUE(literal.MoreSpecificThan(variable));
  EXPECT_FALSE(variable.MoreSpecificThan(literal));
}

TEST(PathTemplatePrecedence, SingleBeatsDeepWildcard) {
  PathTemplate single = MustParse("/v1/{a}/{b}");
  PathTemplate deep = MustParse("/v1/{name=**}");
  EXPECT_TRUE(single.MoreSpecificThan(deep));
  EXPECT_FALSE(deep.MoreSpecificThan(single));
}

TEST(PathTemplatePrecedence, IsAStrictOrder) {
  PathTemplate a = MustParse("/v1/a/{x}");
  PathTemplate b = MustParse("/v1/b/{x}");
  EXPECT_NE(a.MoreSpecificThan(b), b.MoreSpecificThan(a));
  EXPECT_FALSE(a.MoreSpecificThan(a));
}

}  // namespace
}  // namespace loyalty::gateway
