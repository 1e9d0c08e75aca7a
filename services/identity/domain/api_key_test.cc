#include "services/identity/domain/api_key.h"

#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

TEST(ApiKeyBindingTest, PosNeedsAStoreAndPartnerAPartner) {
  EXPECT_EQ(ViolatedField(ValidateApiKeyBinding("ROLE_POS", "till", "", "", "api_key.")),
            "api_key.store_id");
  EXPECT_TRUE(ValidateApiKeyBinding("ROLE_POS", "till", "store-1", "", "api_key.").ok());
  EXPECT_EQ(ViolatedField(ValidateApiKeyBinding("ROLE_PARTNER", "p", "", "", "api_key.")),
            "api_key.partner_id");
  EXPECT_TRUE(ValidateApiKeyBinding("ROLE_PARTNER", "p", "", "partner-1", "api_key.").ok());
  EXPECT_TRUE(ValidateApiKeyBinding("ROLE_ANALYST", "bi", "", "", "api_key.").ok());
}

TEST(ApiKeyBindingTest, NeedsARoleAndBoundedFields) {
  EXPECT_EQ(ViolatedField(ValidateApiKeyBinding("", "k", "", "", "api_key.")), "api_key.role");
  EXPECT_EQ(ViolatedField(ValidateApiKeyBinding("ROLE_UNSPECIFIED", "k", "", "", "api_key.")),
            "api_key.role");
  EXPECT_EQ(ViolatedField(
                ValidateApiKeyBinding("ROLE_ADMIN", std::string(201, 'k'), "", "", "api_key.")),
            "api_key.display_name");
}

TEST(ApiKeySecretTest, SecretsAreFreshAndHashedStably) {
  const std::string a = NewApiKeySecret();
  EXPECT_EQ(a.rfind("lk_", 0), 0u);
  EXPECT_NE(a, NewApiKeySecret());
  EXPECT_EQ(HashApiKeySecret(a), HashApiKeySecret(a));
  EXPECT_EQ(HashApiKeySecret(a).size(), 64u);
}

}  // namespace
}  // namespace loyalty::identity
