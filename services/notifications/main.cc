// notifications: message templates (providers, mailings, deliveries to come).
#include "libs/common/config.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/notifications/api/notifications_api.h"
#include "services/notifications/storage/template_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  auto runtime = loyalty::service::Runtime::Create(
      env, "notifications", loyalty::generated::NotificationsMigrations());
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());

  loyalty::notifications::TemplateStore store((*runtime)->pool());
  loyalty::notifications::NotificationsApi notifications_api(store);
  (*runtime)->host().AddService(&notifications_api);
  return (*runtime)->Run();
}
