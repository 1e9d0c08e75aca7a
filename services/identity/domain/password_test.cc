#include "services/identity/domain/password.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

TEST(PasswordPolicyTest, AcceptsLongMixedPasswords) {
  EXPECT_TRUE(CheckPasswordPolicy("correct-horse-1", "anna", "password").ok());
  // Ten characters of Cyrillic and digits: counted as characters, not bytes.
  EXPECT_TRUE(CheckPasswordPolicy("пароль1234", "anna", "password").ok());
}

TEST(PasswordPolicyTest, RefusesShortUniformOverlongAndLoginBearingPasswords) {
  for (const std::string& bad :
       {std::string("short-1"), std::string("abcdefghijkl"), std::string("123456789012"),
        std::string(129, 'a') + "1", std::string("xxANNA-2024xx")}) {
    absl::Status status = CheckPasswordPolicy(bad, "anna", "new_password");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ViolatedField(status), "new_password") << bad;
  }
  // Nine characters are one too few.
  EXPECT_FALSE(CheckPasswordPolicy("abcd-1234", "", "password").ok());
  EXPECT_TRUE(CheckPasswordPolicy("abcd-12345", "", "password").ok());
}

TEST(PasswordHashTest, VerifiesOnlyTheSamePasswordAndSaltsEachHash) {
  absl::StatusOr<std::string> first = HashPassword("correct-horse-1");
  absl::StatusOr<std::string> second = HashPassword("correct-horse-1");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *first;
  EXPECT_NE(*first, *second);  // a fresh salt every time
  EXPECT_TRUE(VerifyPassword(*first, "correct-horse-1"));
  EXPECT_TRUE(VerifyPassword(*second, "correct-horse-1"));
  EXPECT_FALSE(VerifyPassword(*first, "correct-horse-2"));
  EXPECT_FALSE(VerifyPassword(*first, ""));
  EXPECT_FALSE(VerifyPassword("", "correct-horse-1"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "correct-horse-1"));
  // A non-Argon2id hash is refused even if it would verify as another type.
  std::string argon2i = *first;
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(VerifyPassword(argon2i, "correct-horse-1"));
}

TEST(PasswordHashTest, DecoyMatchesNoPassword) {
  EXPECT_FALSE(VerifyPassword(DecoyPasswordHash(), ""));
  EXPECT_FALSE(VerifyPassword(DecoyPasswordHash(), "correct-horse-1"));
  EXPECT_EQ(DecoyPasswordHash().rfind("$argon2id$", 0), 0u);
}

}  // namespace
}  // namespace loyalty::identity
