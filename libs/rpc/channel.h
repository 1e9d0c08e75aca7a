#pragma once

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace loyalty::rpc {

// A channel to another service of the platform (plaintext inside the
// cluster network), with keepalive so that a restarted peer is noticed, and
// calls balanced round robin over every address the name resolves to.
// `max_receive_message_bytes` > 0 raises gRPC's 4 MiB limit on answers
// (the gateway downloads operation files).
std::shared_ptr<grpc::Channel> DialService(const std::string& address,
                                           int max_receive_message_bytes = 0);

}  // namespace loyalty::rpc
