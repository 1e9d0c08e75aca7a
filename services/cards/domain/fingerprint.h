#pragma once

// Digests of request content, stored with idempotent writes and compared
// when the same id comes again. Stable across builds and platforms (FNV-1a
// over a length-prefixed canonical form; absl::Hash is neither), because
// stored digests must match the retries that later releases see.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace loyalty::cards {

class Fingerprint final {
 public:
  // `scheme` names the request type and version, e.g. "transfer.v1".
  explicit Fingerprint(absl::string_view scheme) : canonical_(absl::StrCat(scheme, "|")) {}

  // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
  Fingerprint& Add(absl::string_view value) {
    absl::StrAppend(&canonical_, value.size(), ":", value, "|");
    return *this;
  }
  Fingerprint& Add(int64_t value) { return Add(absl::StrCat(value)); }

  // 16 lower-case hex digits.
  std::string Digest() const;

 private:
  std::string canonical_;
};

}  // namespace loyalty::cards
