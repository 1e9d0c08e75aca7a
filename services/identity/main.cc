// identity: programs, clients, tags, consents, verifications, API keys.
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/identity/api/cards_card_owners.h"
#include "services/identity/api/consents_api.h"
#include "services/identity/api/identity_api.h"
#include "services/identity/api/tags_api.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/tag_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Read before Create, whose env.Finish() reports them with the other settings.
  const std::string cards_address = loyalty::ReadPeerAddress(env, "cards");
  const std::string notifications_address = loyalty::ReadPeerAddress(env, "notifications");
  std::string code_key = env.String("LOYALTY_VERIFICATION_CODE_KEY", "");
  loyalty::identity::VerificationLimits limits;
  limits.code_lifetime = env.Duration("LOYALTY_VERIFICATION_CODE_LIFETIME", limits.code_lifetime);
  limits.min_resend_interval =
      env.Duration("LOYALTY_VERIFICATION_RESEND_INTERVAL", limits.min_resend_interval);
  auto runtime = loyalty::service::Runtime::Create(
      env, "identity", loyalty::generated::IdentityMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  loyalty::identity::IdentityStore store((*runtime)->pool());
  auto card_owners = loyalty::identity::CardsCardOwners::Dial(cards_address);
  loyalty::identity::IdentityApi identity_api(store, *card_owners);
  loyalty::identity::AccessApi access_api(store);
  loyalty::identity::TagStore tag_store((*runtime)->pool());
  loyalty::identity::TagsApi tags_api(tag_store);
  (*runtime)->host().AddService(&identity_api);
  (*runtime)->host().AddService(&access_api);
  (*runtime)->host().AddService(&tags_api);

  if (code_key.empty()) {
    // Codes stay safe (hashed under a random key), but pending codes die
    // with the process and replicas cannot check each other's codes.
    loyalty::log::Warn(
        "LOYALTY_VERIFICATION_CODE_KEY is not set: using a random key of this process; set it "
        "(the same on every replica) in production");
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
    code_key.assign(reinterpret_cast<const char*>(bytes), sizeof(bytes));
  }
  auto clock = [] { return absl::Now(); };
  loyalty::identity::ConsentStore consent_store((*runtime)->pool());
  loyalty::identity::ConsentsApi consents_api(consent_store, clock);
  loyalty::identity::VerificationStore verification_store((*runtime)->pool());
  auto sender = loyalty::identity::NotificationsMessageSender::Dial(notifications_address);
  loyalty::identity::VerificationsApi verifications_api(verification_store, *sender, limits,
                                                        std::move(code_key), clock);
  (*runtime)->host().AddService(&consents_api);
  (*runtime)->host().AddService(&verifications_api);
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
