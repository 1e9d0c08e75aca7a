#include "services/identity/domain/access_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::identity {
namespace {

const std::string kSecretA(32, 'a');
const std::string kSecretB(40, 'b');

class AccessTokenTest : public ::testing::Test {
 protected:
  TokenSigner Signer(std::vector<SigningKey> keys) {
    return TokenSigner(std::move(keys), absl::Minutes(15), [this] { return now_; });
  }
  TokenClaims Claims() {
    return TokenClaims{.program_id = "p-1",
                       .operator_id = "o-1",
                       .role = "ROLE_MARKETER",
                       .credentials_version = 3};
  }

  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(AccessTokenTest, VerifiesWhatItSignedUntilExpiry) {
  TokenSigner signer = Signer({{"k1", kSecretA}});
  TokenClaims claims = Claims();
  const std::string token = signer.Sign(claims);
  EXPECT_EQ(token.rfind("lt1.", 0), 0u);
  EXPECT_EQ(claims.issue_time, now_);
  EXPECT_EQ(claims.expire_time, now_ + absl::Minutes(15));

  absl::StatusOr<TokenClaims> verified = signer.Verify(token);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->program_id, "p-1");
  EXPECT_EQ(verified->operator_id, "o-1");
  EXPECT_EQ(verified->role, "ROLE_MARKETER");
  EXPECT_EQ(verified->key_id, "k1");
  EXPECT_EQ(verified->credentials_version, claims.credentials_version);
  EXPECT_EQ(verified->expire_time, now_ + absl::Minutes(15));

  now_ += absl::Minutes(15) - absl::Seconds(1);
  EXPECT_TRUE(signer.Verify(token).ok());
  now_ += absl::Seconds(1);
  EXPECT_EQ(signer.Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AccessTokenTest, RefusesTamperedForgedAndMalformedTokens) {
  TokenSigner signer = Signer({{"k1", kSecretA}});
  TokenClaims claims = Claims();
  const std::string token = signer.Sign(claims);
  const size_t dot = token.rfind('.');

  // Another role in the payload, with the original signature.
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(4, dot - 4), &payload));
  payload.replace(payload.find("ROLE_MARKETER"), 13, "ROLE_ADMIN");
  const std::string promoted =
      absl::StrCat("lt1.", absl::WebSafeBase64Escape(payload), token.substr(dot));
  EXPECT_EQ(signer.Verify(promoted).status().code(), absl::StatusCode::kUnauthenticated);

  // One changed signature character.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer.Verify(flipped).ok());

  // Signed with another secret under the same key id.
  TokenSigner forger = Signer({{"k1", kSecretB}});
  TokenClaims forged_claims = Claims();
  EXPECT_FALSE(signer.Verify(forger.Sign(forged_claims)).ok());

  for (const std::string& bad : {std::string(""), std::string("lt1."), std::string("lt1.."),
                                std::string("lk_0123"), token.substr(0, dot), token + "x"}) {
    EXPECT_EQ(signer.Verify(bad).status().code(), absl::StatusCode::kUnauthenticated) << bad;
  }
}

TEST_F(AccessTokenTest, RotationKeepsOldKeysVerifyingAndRetiredKeysOut) {
  TokenSigner old_signer = Signer({{"k1", kSecretA}});
  TokenClaims claims = Claims();
  const std::string old_token = old_signer.Sign(claims);

  TokenSigner rotated = Signer({{"k2", kSecretB}, {"k1", kSecretA}});
  TokenClaims new_claims = Claims();
  const std::string new_token = rotated.Sign(new_claims);
  EXPECT_EQ(new_claims.key_id, "k2");
  EXPECT_TRUE(rotated.Verify(old_token).ok());
  EXPECT_TRUE(rotated.Verify(new_token).ok());

  TokenSigner retired = Signer({{"k2", kSecretB}});
  EXPECT_FALSE(retired.Verify(old_token).ok());
  EXPECT_TRUE(retired.Verify(new_token).ok());
}

TEST(SigningKeysTest, ParsesListsAndRefusesWeakOrMalformedKeys) {
  absl::StatusOr<std::vector<SigningKey>> keys =
      ParseSigningKeys(absl::StrCat("k2:", kSecretB, ", k1:", kSecretA));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].key_id, "k2");
  EXPECT_EQ((*keys)[1].secret, kSecretA);

  for (const std::string& bad :
       {std::string(""), std::string("k1"), absl::StrCat("k1:", std::string(31, 'x')),
        absl::StrCat("K 1:", kSecretA), absl::StrCat("k1:", kSecretA, ",k1:", kSecretB)}) {
    absl::StatusOr<std::vector<SigningKey>> parsed = ParseSigningKeys(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    // The message never repeats a secret.
    EXPECT_EQ(std::string(parsed.status().message()).find(kSecretA), std::string::npos);
  }
}

}  // namespace
}  // namespace loyalty::identity
