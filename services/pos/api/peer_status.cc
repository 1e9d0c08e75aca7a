#include "services/pos/api/peer_status.h"

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"

namespace loyalty::pos {

absl::Status TranslatePeerStatus(const absl::Status& status, absl::string_view peer,
                                 absl::string_view call) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
      return status;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
      return absl::Status(status.code(), status.message());
    default:
      log::Error(absl::StrCat(peer, " call failed"),
                 {{"call", call},
                  {"code", absl::StatusCodeToString(status.code())},
                  {"error", status.message()}});
      return absl::InternalError(absl::StrCat(peer, " ", call, " failed"));
  }
}

}  // namespace loyalty::pos
