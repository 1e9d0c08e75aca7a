#include "libs/redis/client.h"

#include <hiredis/hiredis.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace loyalty::redis {
namespace {



Reply Convert(const redisReply* reply) {
  Reply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        out.elements.push_back(Convert(reply->element[i]));
      }
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {}

Client::~Client() { Disconnect(); }

void Client::Disconnect() {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

absl::Status Client::EnsureConnected() {
  if (context_ != nullptr) return absl::OkStatus();
  size_t colon = options_.address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options_.address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad redis address '", options_.address, "'"));
  }
  std::string host = options_.address.substr(0, colon);
  redisContext* context =
      redisConnectWithTimeout(host.c_str(), port, absl::ToTimeval(options_.connect_timeout));
  if (context == nullptr || context->err != 0) {
    std::string error = context != nullptr ? context->errstr : "allocation failed";
    if (context != nullptr) redisFree(context);
    return absl::UnavailableError(absl::StrCat("redis ", options_.address, ": ", error));
  }
  redisSetTimeout(context, absl::ToTimeval(options_.command_timeout));
  context_ = context;
  return absl::OkStatus();
}

absl::StatusOr<Reply> Client::Command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  std::lock_guard lock(mutex_);
  if (absl::Status status = EnsureConnected(); !status.ok()) return status;
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    std::string error = context_->errstr;
    Disconnect();
    return absl::UnavailableError(absl::StrCat("redis: ", error));
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string error(reply->str, reply->len);
    freeReplyObject(reply);
    return absl::FailedPreconditionError(absl::StrCat("redis: ", error));
  }
  Reply converted = Convert(reply);
  freeReplyObject(reply);
  return converted;
}

absl::Status Client::Ping() {
  absl::StatusOr<Reply> reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  return absl::OkStatus();
}

}  // namespace loyalty::redis
