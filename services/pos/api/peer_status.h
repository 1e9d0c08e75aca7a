#pragma once

// How pos passes on what a peer service (the ledger in `cards`, promo codes
// in `campaigns`) said about pos's own requests.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty::pos {

// A malformed or conflicting call is a bug in pos (logged, INTERNAL), a
// refusal (FAILED_PRECONDITION, RESOURCE_EXHAUSTED) keeps its code but not
// the peer's field names, and transient failures pass through for the
// caller to retry. `peer` and `call` name it in the log and the message.
absl::Status TranslatePeerStatus(const absl::Status& status, absl::string_view peer,
                                 absl::string_view call);

}  // namespace loyalty::pos
