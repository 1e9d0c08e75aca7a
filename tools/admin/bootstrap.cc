#include "tools/admin/bootstrap.h"

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "libs/http/client.h"
#include "libs/rpc/channel.h"
#include "libs/rpc/status.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/pos/v1/store_service.pb.h"

namespace loyalty::admin {
namespace {

namespace identity = loyalty::identity::v1;

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (!kv.first.empty()) values[kv.first] = kv.second;
  }
  return values;
}

absl::Status Authenticates(identity::AccessService::Stub& access, const std::string& key) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  identity::AuthenticateApiKeyRequest request;
  request.set_secret(key);
  identity::Principal principal;
  return rpc::FromGrpcStatus(access.AuthenticateApiKey(&context, request, &principal));
}

absl::StatusOr<std::string> CreateKey(identity::AccessService::Stub& access,
                                      const std::string& program_id, const std::string& name,
                                      api::v1::Role role, const std::string& store_id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  identity::CreateApiKeyRequest request;
  request.set_program_id(program_id);
  request.set_display_name(name);
  request.set_role(role);
  request.set_store_id(store_id);
  identity::CreateApiKeyResponse response;
  absl::Status status =
      rpc::FromGrpcStatus(access.CreateApiKey(&context, request, &response));
  if (!status.ok()) return status;
  return response.secret();
}

absl::StatusOr<std::string> Call(const BootstrapOptions& options, const std::string& key,
                                 const std::string& method, const std::string& path,
                                 const std::string& body) {
  absl::StatusOr<http::Response> response = http::Send(http::Request{
      .method = method,
      .url = options.gateway_url + path,
      .headers = {{"x-api-key", key}},
      .body = body});
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat(method, " ", path, " answered ",
                                            response->status, ": ", response->body));
  }
  return response->body;
}

}  // namespace

std::string FormatEnv(const DemoProgram& demo) {
  return absl::StrCat("LOYALTY_PROGRAM_ID=", demo.program_id, "\n",
                      "LOYALTY_STORE_ID=", demo.store_id, "\n",
                      "LOYALTY_API_KEY=", demo.api_key, "\n",
                      "LOYALTY_POS_API_KEY=", demo.pos_api_key, "\n");
}

absl::StatusOr<DemoProgram> BootstrapDemo(const BootstrapOptions& options) {
  auto access = identity::AccessService::NewStub(rpc::DialService(options.identity_address));

  std::map<std::string, std::string> previous = ReadEnvFile(options.out_path);
  if (previous.contains("LOYALTY_API_KEY") &&
      Authenticates(*access, previous["LOYALTY_API_KEY"]).ok()) {
    return DemoProgram{previous["LOYALTY_PROGRAM_ID"], previous["LOYALTY_STORE_ID"],
                       previous["LOYALTY_API_KEY"], previous["LOYALTY_POS_API_KEY"]};
  }

  DemoProgram demo;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    identity::CreateProgramRequest request;
    request.mutable_program()->set_name("Demo store chain");
    request.mutable_program()->set_time_zone("Europe/Moscow");
    request.mutable_program()->set_default_country_code("7");
    identity::Program program;
    absl::Status status =
        rpc::FromGrpcStatus(access->CreateProgram(&context, request, &program));
    if (!status.ok()) return status;
    demo.program_id = program.program_id();
  }
  absl::StatusOr<std::string> admin_key =
      CreateKey(*access, demo.program_id, "demo admin", api::v1::ROLE_ADMIN, "");
  if (!admin_key.ok()) return admin_key.status();
  demo.api_key = *admin_key;

  absl::StatusOr<std::string> store_json =
      Call(options, demo.api_key, "POST", "/v1/stores",
           R"({"name": "Demo store, Tverskaya 1", "city": "Moscow"})");
  if (!store_json.ok()) return store_json.status();
  pos::v1::Store store;
  if (!google::protobuf::util::JsonStringToMessage(*store_json, &store).ok()) {
    return absl::InternalError(absl::StrCat("unexpected store reply: ", *store_json));
  }
  demo.store_id = store.store_id();

  // 5% back in points, up to half of a receipt payable by points of one
  // rouble each, points usable at once and valid for a year.
  absl::StatusOr<std::string> settings =
      Call(options, demo.api_key, "PATCH", "/v1/pos/settings",
           R"({"accrualRateBp": 500, "maxRedeemShareBp": 5000, "pointValue": 100,)"
           R"( "accrualActivationDelaySeconds": 0, "pointsLifetimeDays": 365})");
  if (!settings.ok()) return settings.status();

  absl::StatusOr<std::string> pos_key =
      CreateKey(*access, demo.program_id, "demo till", api::v1::ROLE_POS, demo.store_id);
  if (!pos_key.ok()) return pos_key.status();
  demo.pos_api_key = *pos_key;
  return demo;
}

}  // namespace loyalty::admin
