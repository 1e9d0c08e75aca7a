#include "libs/rpc/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace loyalty::rpc {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
  (void)write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

HealthCheckResponse::ServingStatus Check(grpc::health::v1::Health::Stub& stub,
                                         const std::string& service = "") {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub.Check(&context, request, &response);
  if (!status.ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

TEST(ServiceHostTest, HealthFollowsDependenciesAndMetricsAreServed) {
  auto registry = std::make_shared<prometheus::Registry>();
  int metrics_port = FreePort();
  ServiceHost host(ServiceHostOptions{.service_name = "test",
                                      .grpc_address = "127.0.0.1:0",
                                      .metrics_address = absl::StrCat("127.0.0.1:", metrics_port),
                                      .shutdown_grace = absl::Seconds(1),
                                      .health_interval = absl::Milliseconds(20)},
                   registry);
  std::atomic<bool> database_up{true};
  host.AddReadinessCheck("database", [&] {
    return database_up ? absl::OkStatus() : absl::UnavailableError("down");
  });
  std::atomic<bool> task_stopped{false};
  host.AddBackgroundTask("waiter", [&](std::stop_token stop) {
    while (!stop.stop_requested()) absl::SleepFor(absl::Milliseconds(5));
    task_stopped = true;
  });
  ASSERT_TRUE(host.Start().ok());
  ASSERT_GT(host.grpc_port(), 0);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  EXPECT_EQ(Check(*stub), HealthCheckResponse::SERVING);

  database_up = false;
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (Check(*stub) != HealthCheckResponse::NOT_SERVING && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Check(*stub), HealthCheckResponse::NOT_SERVING);
  // Liveness does not follow dependencies: an outage must not restart us.
  EXPECT_EQ(Check(*stub, kLivenessHealthService), HealthCheckResponse::SERVING);

  std::string metrics = HttpGet(metrics_port, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("grpc_server_handled_total{"));
  EXPECT_THAT(metrics, HasSubstr("grpc_method=\"Check\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_server_handling_seconds_bucket{"));

  host.RequestShutdown();
  host.WaitAndShutdown();
  EXPECT_TRUE(task_stopped);
}

}  // namespace
}  // namespace loyalty::rpc
