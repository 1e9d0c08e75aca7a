// notifications: message templates (providers, mailings, deliveries to come).
#include <memory>

#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/notifications/api/notifications_api.h"
#include "services/notifications/api/transactional_api.h"
#include "services/notifications/providers/pickup_directory.h"
#include "services/notifications/storage/template_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Read before Create, whose env.Finish() reports them with the other settings.
  const std::string pickup_dir = env.String("LOYALTY_NOTIFICATIONS_PICKUP_DIR", "");
  auto runtime = loyalty::service::Runtime::Create(
      env, "notifications", loyalty::generated::NotificationsMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  loyalty::notifications::TemplateStore store((*runtime)->pool());
  loyalty::notifications::NotificationsApi notifications_api(store);
  (*runtime)->host().AddService(&notifications_api);
  // Only the local pickup-directory provider exists yet; without it every
  // transactional message is refused.
  std::unique_ptr<loyalty::notifications::MessageProvider> provider;
  if (pickup_dir.empty()) {
    provider = std::make_unique<loyalty::notifications::NoProvider>();
  } else {
    provider = std::make_unique<loyalty::notifications::PickupDirectoryProvider>(pickup_dir);
  }
  loyalty::notifications::TransactionalMessagesApi transactional_api(*provider);
  (*runtime)->host().AddService(&transactional_api);
  return (*runtime)->Run();
}
