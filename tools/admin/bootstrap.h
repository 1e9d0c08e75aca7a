#pragma once

// Creates the demo program a newcomer tries the platform with: a program,
// an admin API key, a store, pricing settings and a POS key bound to the
// store. Idempotent across runs through the env file it writes.

#include <string>

#include "absl/status/statusor.h"

namespace loyalty::admin {

struct BootstrapOptions {
  std::string identity_address;  // host:port of identity's gRPC
  std::string gateway_url;       // http://host:port
  std::string out_path;          // env file to reuse and (re)write
};

struct DemoProgram {
  std::string program_id;
  std::string store_id;
  std::string api_key;      // ROLE_ADMIN
  std::string pos_api_key;  // ROLE_POS, bound to the store
};

absl::StatusOr<DemoProgram> BootstrapDemo(const BootstrapOptions& options);

// KEY=value lines, as written to the env file.
std::string FormatEnv(const DemoProgram& demo);

}  // namespace loyalty::admin
