#include "services/gateway/gateway.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "libs/common/errors.h"
#include "libs/common/json.h"
#include "libs/common/log.h"
#include "libs/common/trace.h"
#include "libs/rpc/call_context.h"
#include "services/gateway/auth.h"
#include "services/gateway/backend.h"
#include "services/gateway/error_response.h"
#include "services/gateway/metrics.h"
#include "services/gateway/readiness.h"
#include "services/gateway/request_headers.h"
#include "services/gateway/route_table.h"
#include "services/gateway/transcoder.h"

namespace loyalty::gateway {
namespace {

// Route label of requests that matched no route: one value, so that
// scanners cannot create label values.
constexpr char kUnmatched[] = "unmatched";

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// A file message as the raw body: its own content type, a download name,
// and no guessing of the type by the browser.
HttpResponse FileResponse(google::protobuf::Message& message) {
  absl::StatusOr<FileBody> file = TakeFileBody(message);
  if (!file.ok()) {
    log::Error("file response cannot be sent", {{"error", std::string(file.status().message())}});
    return StatusErrorResponse(absl::InternalError("response not printable"));
  }
  HttpResponse response;
  response.content_type = std::move(file->content_type);
  response.headers.emplace_back("content-disposition", ContentDisposition(file->file_name));
  response.headers.emplace_back("x-content-type-options", "nosniff");
  response.body = std::move(file->data);
  return response;
}

}  // namespace

// State of one request across the asynchronous steps.
struct Gateway::Exchange {
  HttpRequest request;
  Done done;
  absl::Time start;
  std::string request_id;
  TraceParent span;
  log::Context log_context;
  std::string path;
  std::string query;
  std::string route_label = kUnmatched;
  const Route* route = nullptr;
  PathBindings bindings;
  int grpc_code = -1;  // -1: no backend call made
};

Gateway::Gateway(const RouteTable& routes, Authenticator& authenticator, Backend& backend,
                 const Readiness& readiness, GatewayMetrics& metrics, GatewayOptions options)
    : routes_(routes),
      authenticator_(authenticator),
      backend_(backend),
      readiness_(readiness),
      metrics_(metrics),
      options_(options),
      factory_(std::make_unique<google::protobuf::DynamicMessageFactory>()) {
  // Generated descriptors get their generated classes, which parse faster.
  factory_->SetDelegateToGeneratedFactory(true);
}

Gateway::~Gateway() = default;

void Gateway::Handle(HttpRequest request, Done done) {
  auto exchange = std::make_shared<Exchange>();
  Exchange& ex = *exchange;
  ex.start = absl::Now();
  ex.request = std::move(request);
  ex.done = std::move(done);
  ex.request_id = RequestIdFrom(ex.request);
  ex.span = GatewaySpanFrom(ex.request);
  ex.log_context.trace_id = ex.span.trace_id;
  ex.log_context.span_id = ex.span.parent_id;
  ex.log_context.request_id = ex.request_id;
  metrics_.RequestStarted();
  log::ScopedContext scope(ex.log_context);

  size_t question = ex.request.target.find('?');
  ex.path = ex.request.target.substr(0, question);
  if (question != std::string::npos) ex.query = ex.request.target.substr(question + 1);

  if (HandleOps(ex, ex.path)) return;

  absl::StatusOr<RequestPath> path = SplitRequestPath(ex.path);
  if (!path.ok()) return Finish(ex, StatusErrorResponse(path.status()));
  RouteTable::Lookup lookup = routes_.Find(ex.request.method, *path);
  if (lookup.route == nullptr) {
    if (lookup.allowed_methods.empty()) {
      return Finish(ex, StatusErrorResponse(absl::NotFoundError(
                            absl::StrCat("no route for ", ex.request.method, " ", ex.path))));
    }
    // grpc-gateway answers a known path with a wrong method with 405 and
    // code UNIMPLEMENTED.
    HttpResponse response =
        StatusErrorResponse(absl::UnimplementedError(absl::StrCat("method ", ex.request.method,
                                                                  " not allowed for ", ex.path)),
                            405);
    response.headers.emplace_back("allow", absl::StrJoin(lookup.allowed_methods, ", "));
    return Finish(ex, std::move(response));
  }
  ex.route = lookup.route;
  ex.bindings = std::move(lookup.bindings);
  ex.route_label = ex.route->path.text();
  ex.log_context.method = ex.route->method->full_name();

  if (ex.route->allow_anonymous) return OnAuthenticated(exchange, Principal{});
  std::string api_key = ApiKeyFrom(ex.request);
  if (api_key.empty()) {
    return Finish(ex, StatusErrorResponse(absl::UnauthenticatedError(
                          "missing credentials: send an API key in x-api-key, or "
                          "Authorization: Bearer <API key or access token>")));
  }
  AuthRequest auth{std::move(api_key), ex.request_id, ex.span.ToHeader()};
  authenticator_.Authenticate(auth, [this, exchange](absl::StatusOr<Principal> principal) {
    if (!principal.ok()) {
      log::ScopedContext scope(exchange->log_context);
      if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
        return Finish(*exchange, StatusErrorResponse(principal.status()));
      }
      // The cause (addresses, transport errors) is for the operator's
      // log, not for the caller.
      log::Warn("credentials check failed", {{"error", std::string(principal.status().message())}});
      return Finish(*exchange, StatusErrorResponse(absl::UnavailableError(
                                   "credentials cannot be checked now, retry later")));
    }
    OnAuthenticated(exchange, *principal);
  });
}

bool Gateway::HandleOps(Exchange& ex, const std::string& path) {
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") return false;
  ex.route_label = path;
  if (ex.request.method != "GET") {
    HttpResponse response =
        StatusErrorResponse(absl::UnimplementedError(absl::StrCat("method ", ex.request.method,
                                                                  " not allowed for ", path)),
                            405);
    response.headers.emplace_back("allow", "GET");
    Finish(ex, std::move(response));
    return true;
  }
  if (path == "/healthz") {
    Finish(ex, JsonResponse(200, "{\"status\":\"ok\"}"));
  } else if (path == "/readyz") {
    std::vector<std::string> unready = readiness_.Unready();
    if (unready.empty()) {
      Finish(ex, JsonResponse(200, "{\"status\":\"ready\"}"));
    } else {
      std::string body = "{\"status\":\"unready\",\"unready\":[";
      for (size_t i = 0; i < unready.size(); ++i) {
        if (i > 0) body += ",";
        AppendJsonString(body, unready[i]);
      }
      body += "]}";
      Finish(ex, JsonResponse(503, std::move(body)));
    }
  } else {
    HttpResponse response = JsonResponse(200, metrics_.Render());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    Finish(ex, std::move(response));
  }
  return true;
}

void Gateway::OnAuthenticated(const std::shared_ptr<Exchange>& exchange,
                              const Principal& principal) {
  Exchange& ex = *exchange;
  ex.log_context.program_id = principal.program_id;
  log::ScopedContext scope(ex.log_context);
  const Route& route = *ex.route;
  if (!route.allow_anonymous) {
    if (absl::Status allowed = Authorize(route, principal); !allowed.ok()) {
      return Finish(ex, StatusErrorResponse(allowed));
    }
  }

  const google::protobuf::Message* prototype = factory_->GetPrototype(route.method->input_type());
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  absl::StatusOr<QueryParams> query = ParseQueryString(ex.query);
  if (!query.ok()) return Finish(ex, StatusErrorResponse(query.status()));
  if (absl::Status s = BuildRequestMessage(route, ex.bindings, *query, ex.request.body, *message);
      !s.ok()) {
    return Finish(ex, StatusErrorResponse(s));
  }

  absl::StatusOr<std::string> backend = BackendOfRequest(route, ex.bindings, options_.backends);
  if (!backend.ok()) return Finish(ex, StatusErrorResponse(backend.status()));

  BackendCall call;
  call.backend = *std::move(backend);
  call.method = route.grpc_path;
  call.request = message->SerializeAsString();
  call.timeout = options_.backend_timeout;
  // Built from the credentials only: no client header is forwarded, so a
  // caller cannot name another program, store or role.
  auto add = [&call](absl::string_view key, const std::string& value) {
    if (!value.empty()) call.metadata.emplace_back(std::string(key), value);
  };
  add(loyalty::rpc::kProgramIdKey, principal.program_id);
  if (principal.role != 0) add(loyalty::rpc::kRoleKey, RoleName(principal.role));
  add(loyalty::rpc::kStoreIdKey, principal.store_id);
  add(loyalty::rpc::kPartnerIdKey, principal.partner_id);
  add(loyalty::rpc::kPrincipalIdKey,
      principal.operator_id.empty() ? principal.api_key_id : principal.operator_id);
  if (!principal.operator_id.empty() || !principal.api_key_id.empty()) {
    add(loyalty::rpc::kPrincipalKindKey,
        std::string(principal.operator_id.empty() ? loyalty::rpc::kPrincipalKindApiKey
                                                  : loyalty::rpc::kPrincipalKindOperator));
  }
  add(loyalty::rpc::kRequestIdKey, ex.request_id);
  add(loyalty::rpc::kTraceParentKey, ex.span.ToHeader());
  backend_.Call(std::move(call),
                [this, exchange](const grpc::Status& status, const std::string& response) {
                  OnBackendReply(*exchange, static_cast<int>(status.error_code()),
                                 status.error_message(), status.error_details(), response);
                });
}

void Gateway::OnBackendReply(Exchange& ex, int code, const std::string& message,
                             const std::string& details, const std::string& response) {
  log::ScopedContext scope(ex.log_context);
  ex.grpc_code = code;
  if (code == grpc::StatusCode::UNIMPLEMENTED && !ex.route->backend_id_field.empty()) {
    // The id named a service that runs no operations.
    return Finish(ex, StatusErrorResponse(absl::NotFoundError("no such operation")));
  }
  if (code != 0) return Finish(ex, GrpcErrorResponse(code, message, details));
  const google::protobuf::Message* prototype =
      factory_->GetPrototype(ex.route->method->output_type());
  std::unique_ptr<google::protobuf::Message> parsed(prototype->New());
  if (!parsed->ParseFromString(response)) {
    log::Error("backend response does not parse", {{"backend", ex.route->backend}});
    return Finish(ex, StatusErrorResponse(absl::InternalError("malformed backend response")));
  }
  if (IsFileMessage(*parsed->GetDescriptor()) && ex.route->response_body.empty()) {
    return Finish(ex, FileResponse(*parsed));
  }
  absl::StatusOr<std::string> json = RenderResponseJson(*ex.route, *parsed);
  if (!json.ok()) {
    log::Error("response cannot be printed as JSON",
               {{"error", std::string(json.status().message())}});
    return Finish(ex, StatusErrorResponse(absl::InternalError("response not printable")));
  }
  Finish(ex, JsonResponse(200, *std::move(json)));
}

void Gateway::Finish(Exchange& ex, HttpResponse response) {
  response.headers.emplace_back("x-request-id", ex.request_id);
  response.headers.emplace_back("traceparent", ex.span.ToHeader());
  absl::Duration elapsed = absl::Now() - ex.start;
  metrics_.RequestFinished(ex.request.method, ex.route_label, response.status,
                           absl::ToDoubleSeconds(elapsed));
  log::ScopedContext scope(ex.log_context);
  if (ex.grpc_code >= 0) {
    log::Info("http request", {{"http_method", ex.request.method},
                               {"route", ex.route_label},
                               {"status", response.status},
                               {"grpc_code", ex.grpc_code},
                               {"duration_ms", absl::ToDoubleMilliseconds(elapsed)}});
  } else {
    log::Info("http request", {{"http_method", ex.request.method},
                               {"route", ex.route_label},
                               {"status", response.status},
                               {"duration_ms", absl::ToDoubleMilliseconds(elapsed)}});
  }
  Done done = std::move(ex.done);
  done(std::move(response));
}

}  // namespace loyalty::gateway
