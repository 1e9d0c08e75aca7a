#include "libs/rpc/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::rpc {
namespace {

constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

}  // namespace

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1000000;
  int64_t remainder = micros % 1000000;
  if (remainder < 0) {  // before 1970: nanos must stay non-negative
    remainder += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(remainder * 1000));
}

absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& timestamp,
                                         absl::string_view field) {
  if (timestamp.seconds() < kMinSeconds || timestamp.seconds() > kMaxSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999999999) {
    return InvalidField(field, "not a valid timestamp");
  }
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

absl::StatusOr<int> ResolvePageSize(int32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested < 1 || requested > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("must be within 1..", kMaxPageSize));
  }
  return requested;
}

}  // namespace loyalty::rpc
