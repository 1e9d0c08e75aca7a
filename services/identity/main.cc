// identity: programs, clients, tags, API keys.
#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/identity/api/cards_card_owners.h"
#include "services/identity/api/identity_api.h"
#include "services/identity/api/tags_api.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/tag_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Read before Create, whose env.Finish() reports it with the other settings.
  const std::string cards_address = loyalty::ReadPeerAddress(env, "cards");
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
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
