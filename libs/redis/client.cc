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

namespace {

// A reply as Command and Pipeline return it; frees `reply`.
absl::StatusOr<Reply> TakeReply(redisReply* reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string error(reply->str, reply->len);
    freeReplyObject(reply);
    return absl::FailedPreconditionError(absl::StrCat("redis: ", error));
  }
  Reply converted = Convert(reply);
  freeReplyObject(reply);
  return converted;
}

struct Argv {
  explicit Argv(const std::vector<std::string>& args) {
    pointers.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int count() const { return static_cast<int>(pointers.size()); }
  // hiredis takes the arrays as non-const pointers but does not write them.
  const char** argv() { return pointers.data(); }
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
};

}  // namespace

absl::StatusOr<Reply> Client::Command(const std::vector<std::string>& args) {
  Argv argv(args);
  std::lock_guard lock(mutex_);
  if (absl::Status status = EnsureConnected(); !status.ok()) return status;
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context_, argv.count(), argv.argv(), argv.lengths.data()));
  if (reply == nullptr) {
    std::string error = context_->errstr;
    Disconnect();
    return absl::UnavailableError(absl::StrCat("redis: ", error));
  }
  return TakeReply(reply);
}

std::vector<absl::StatusOr<Reply>> Client::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<absl::StatusOr<Reply>> results;
  results.reserve(commands.size());
  std::lock_guard lock(mutex_);
  absl::Status failure = EnsureConnected();
  for (size_t i = 0; failure.ok() && i < commands.size(); ++i) {
    Argv argv(commands[i]);
    if (redisAppendCommandArgv(context_, argv.count(), argv.argv(),
                               argv.lengths.data()) != REDIS_OK) {
      failure = absl::UnavailableError(absl::StrCat("redis: ", context_->errstr));
    }
  }
  // redisGetReply writes every appended command out before the first read.
  for (size_t i = 0; failure.ok() && i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      failure = absl::UnavailableError(absl::StrCat("redis: ", context_->errstr));
      break;
    }
    results.push_back(TakeReply(static_cast<redisReply*>(raw)));
  }
  if (!failure.ok()) {
    if (context_ != nullptr) Disconnect();
    while (results.size() < commands.size()) results.push_back(failure);
  }
  return results;
}

absl::Status Client::Ping() {
  absl::StatusOr<Reply> reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  return absl::OkStatus();
}

}  // namespace loyalty::redis
