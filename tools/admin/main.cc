// loyalty_admin: operator commands against a running platform.
//   loyalty_admin bootstrap-demo --identity=HOST:PORT --gateway=URL --out=FILE
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "tools/admin/bootstrap.h"

namespace {

int Usage() {
  std::cerr << "usage: loyalty_admin bootstrap-demo --identity=HOST:PORT "
               "--gateway=http://HOST:PORT --out=FILE\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "bootstrap-demo") return Usage();
  loyalty::admin::BootstrapOptions options;
  for (int i = 2; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--identity=")) options.identity_address = std::string(arg);
    else if (absl::ConsumePrefix(&arg, "--gateway=")) options.gateway_url = std::string(arg);
    else if (absl::ConsumePrefix(&arg, "--out=")) options.out_path = std::string(arg);
    else return Usage();
  }
  if (options.identity_address.empty() || options.gateway_url.empty() ||
      options.out_path.empty()) {
    return Usage();
  }
  auto demo = loyalty::admin::BootstrapDemo(options);
  if (!demo.ok()) {
    std::cerr << "bootstrap-demo failed: " << demo.status() << "\n";
    return 1;
  }
  std::string env = loyalty::admin::FormatEnv(*demo);
  std::ofstream out(options.out_path, std::ios::trunc);
  out << env;
  if (!out) {
    std::cerr << "cannot write " << options.out_path << "\n";
    return 1;
  }
  std::cout << env;
  return 0;
}
