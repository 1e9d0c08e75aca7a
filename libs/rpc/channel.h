#pragma once

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace loyalty::rpc {

// A channel to another service of the platform (plaintext inside the
// cluster network), with keepalive so that a restarted peer is noticed, and
// calls balanced round robin over every address the name resolves to.
std::shared_ptr<grpc::Channel> DialService(const std::string& address);

}  // namespace loyalty::rpc
