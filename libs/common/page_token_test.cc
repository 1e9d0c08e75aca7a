#include "libs/common/page_token.h"

#include <gtest/gtest.h>

#include "libs/common/errors.h"

namespace loyalty {
namespace {

TEST(PageTokenTest, RoundTripsAnyPosition) {
  for (absl::string_view position : {"", "42", "2000000000017", "a,b|c/+=?&"}) {
    absl::StatusOr<std::string> decoded = DecodePageToken(EncodePageToken(position));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, position);
  }
}

TEST(PageTokenTest, TokensAreUrlSafe) {
  std::string token = EncodePageToken("\xff\xfe\xfd?/+");
  EXPECT_EQ(token.find_first_of("+/=?&"), std::string::npos) << token;
}

TEST(PageTokenTest, RefusesForeignTokensNamingTheField) {
  for (absl::string_view token : {"not base64!", "NDI", "p1"}) {
    absl::StatusOr<std::string> decoded = DecodePageToken(token);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_EQ(ViolatedField(decoded.status()), "page_token");
  }
}

TEST(PageTokenTest, IdTokens) {
  EXPECT_EQ(*DecodeIdPageToken("", 99), 99);
  EXPECT_EQ(*DecodeIdPageToken(EncodePageToken("42"), 99), 42);
  EXPECT_EQ(ViolatedField(DecodeIdPageToken(EncodePageToken("x42"), 0).status()), "page_token");
  EXPECT_EQ(ViolatedField(DecodeIdPageToken("garbage!", 0).status()), "page_token");
}

}  // namespace
}  // namespace loyalty
