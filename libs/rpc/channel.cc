#include "libs/rpc/channel.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace loyalty::rpc {

std::shared_ptr<grpc::Channel> DialService(const std::string& address,
                                           int max_receive_message_bytes) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  // Reconnect quickly after a peer restarts instead of backing off for
  // minutes; calls in between fail fast with UNAVAILABLE.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  // One subchannel per address the name resolves to: behind a Kubernetes
  // headless Service every replica gets calls (pick_first would pin one).
  args.SetLoadBalancingPolicyName("round_robin");
  if (max_receive_message_bytes > 0) args.SetMaxReceiveMessageSize(max_receive_message_bytes);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace loyalty::rpc
