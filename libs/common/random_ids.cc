#include "absl/strings/string_view.h"
#include "libs/common/random_ids.h"

#include <cstdint>
#include <random>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace loyalty {
namespace {

absl::BitGen& Generator() {
  thread_local absl::BitGen generator;
  return generator;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::string RandomHex(int bytes) {
  std::string out;
  out.reserve(static_cast<size_t>(bytes) * 2);
  for (int i = 0; i < bytes; ++i) {
    auto byte = absl::Uniform<uint8_t>(Generator());
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

std::string NewUuid() {
  std::string hex = RandomHex(16);
  hex[12] = '4';  // version 4
  hex[16] = kHex[8 + (absl::Uniform<uint8_t>(Generator()) & 0x3)];  // variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace loyalty
