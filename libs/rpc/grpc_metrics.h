#pragma once

// Server metrics with the names go-grpc-prometheus uses, so that standard
// dashboards work: grpc_server_started_total, grpc_server_handled_total,
// grpc_server_handling_seconds.

#include <memory>

#include "grpcpp/support/server_interceptor.h"

namespace prometheus {
class Registry;
}

namespace loyalty::rpc {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeGrpcMetricsInterceptorFactory(prometheus::Registry& registry);

}  // namespace loyalty::rpc
