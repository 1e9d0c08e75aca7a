#pragma once

// Who owns a card: `cards` knows, behind an interface so that tests of the
// identity API need no cards service.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/rpc/call_context.h"

namespace loyalty::identity {

class CardOwners {
 public:
  virtual ~CardOwners() = default;

  // The client id of the owner of the card with this number or barcode in
  // the calling program. NOT_FOUND when there is no such card or it has no
  // owner; UNAVAILABLE (or another code) when that cannot be told now.
  virtual absl::StatusOr<std::string> OwnerOf(const rpc::CallContext& call,
                                              absl::string_view card_number) = 0;
};

}  // namespace loyalty::identity
