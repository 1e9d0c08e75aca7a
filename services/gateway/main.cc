// The HTTP/JSON front door: reads its configuration, wires the gateway and
// serves until SIGTERM/SIGINT, then drains.

#include <csignal>

#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/rpc/server.h"
#include "services/gateway/app.h"
#include "services/gateway/config.h"

namespace {

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace

int main() {
  // Before any thread starts, so that every thread inherits the mask and
  // only sigwait() sees the signals.
  loyalty::rpc::BlockTerminationSignals();
  loyalty::log::Init("gateway", "info");

  loyalty::EnvReader env;
  absl::StatusOr<loyalty::gateway::GatewayConfig> config = loyalty::gateway::ReadGatewayConfig(env);
  if (!config.ok()) {
    loyalty::log::Error("cannot start", {{"error", std::string(config.status().message())}});
    return 2;
  }
  loyalty::log::Init("gateway", config->log_level);

  auto app = loyalty::gateway::GatewayApp::Create(*config);
  if (!app.ok()) {
    loyalty::log::Error("cannot start", {{"error", std::string(app.status().message())}});
    return 1;
  }
  if (absl::Status started = (*app)->Start(); !started.ok()) {
    loyalty::log::Error("cannot start", {{"error", std::string(started.message())}});
    return 1;
  }
  loyalty::log::Info("gateway listening",
                     {{"address", config->http_address},
                      {"port", (*app)->port()},
                      {"routes", static_cast<int64_t>((*app)->route_count())}});

  int signal = WaitForTerminationSignal();
  loyalty::log::Info("shutting down", {{"signal", signal}});
  (*app)->Shutdown();
  loyalty::log::Info("stopped");
  return 0;
}
