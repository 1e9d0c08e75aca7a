#include "services/identity/domain/client_erasure.h"

#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "services/identity/domain/free_text.h"

namespace loyalty::identity {

absl::Status NormalizeErasureRequest(ErasureRequest& request) {
  if (!IsUuid(request.client_id)) return InvalidField("client_id", "not a UUID");
  RETURN_IF_ERROR(NormalizeFreeText("reason", kMaxErasureReasonLength, request.reason));
  if (request.reason.empty()) return InvalidField("reason", "required: why the client is erased");
  if (request.request_id.empty()) return InvalidField("request_id", "required");
  if (request.request_id.size() > 128) return InvalidField("request_id", "longer than 128 bytes");
  return absl::OkStatus();
}

}  // namespace loyalty::identity
