#pragma once

// What the gateway reads from and writes to HTTP headers: credentials,
// request id, trace context.

#include <string>

#include "libs/common/trace.h"
#include "services/gateway/http_types.h"

namespace loyalty::gateway {

// The API key from `x-api-key`, else from `Authorization: Bearer <key>`;
// "" when neither is present.
std::string ApiKeyFrom(const HttpRequest& request);

// The caller's `x-request-id` when it is a sane token (1..128 characters of
// [A-Za-z0-9._:-]), else a new UUID: the value is echoed in a response
// header and written to logs, so arbitrary bytes are not taken.
std::string RequestIdFrom(const HttpRequest& request);

// The gateway's own span: a child of the caller's `traceparent` when it is
// valid, else the root of a new trace.
TraceParent GatewaySpanFrom(const HttpRequest& request);

}  // namespace loyalty::gateway
