// identity: programs, clients, tags, API keys, operators.
#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/identity/api/api_keys_api.h"
#include "services/identity/api/identity_api.h"
#include "services/identity/api/operators_api.h"
#include "services/identity/api/tags_api.h"
#include "services/identity/domain/access_token.h"
#include "services/identity/storage/api_key_store.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/operator_store.h"
#include "services/identity/storage/tag_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // identity alone signs and checks operator tokens; see README "Operators".
  const std::string token_keys = env.RequiredString("LOYALTY_TOKEN_KEYS");
  const absl::Duration token_lifetime = env.Duration("LOYALTY_TOKEN_LIFETIME", absl::Minutes(15));
  auto runtime = loyalty::service::Runtime::Create(
      env, "identity", loyalty::generated::IdentityMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());
  auto signing_keys = loyalty::identity::ParseSigningKeys(token_keys);
  if (!signing_keys.ok()) return loyalty::service::StartupFailure(signing_keys.status());
  if (token_lifetime <= absl::ZeroDuration() || token_lifetime > absl::Hours(12)) {
    return loyalty::service::StartupFailure(
        absl::InvalidArgumentError("LOYALTY_TOKEN_LIFETIME must be in (0, 12h]"));
  }
  loyalty::identity::TokenSigner signer(*std::move(signing_keys), token_lifetime);

  loyalty::identity::IdentityStore store((*runtime)->pool());
  loyalty::identity::OperatorStore operator_store((*runtime)->pool());
  loyalty::identity::ApiKeyStore api_key_store((*runtime)->pool());
  loyalty::identity::IdentityApi identity_api(store);
  loyalty::identity::AccessApi access_api(store, operator_store, signer);
  loyalty::identity::OperatorsApi operators_api(operator_store, signer);
  loyalty::identity::ApiKeysApi api_keys_api(api_key_store);
  loyalty::identity::TagStore tag_store((*runtime)->pool());
  loyalty::identity::TagsApi tags_api(tag_store);
  (*runtime)->host().AddService(&identity_api);
  (*runtime)->host().AddService(&access_api);
  (*runtime)->host().AddService(&operators_api);
  (*runtime)->host().AddService(&api_keys_api);
  (*runtime)->host().AddService(&tags_api);
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
