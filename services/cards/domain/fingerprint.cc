#include "services/cards/domain/fingerprint.h"

namespace loyalty::cards {

std::string Fingerprint::Digest() const {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : canonical_) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
}

}  // namespace loyalty::cards
