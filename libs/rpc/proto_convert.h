#pragma once

// Conversions every API layer needs between proto and domain values.

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace loyalty::rpc {

// Microsecond precision, as PostgreSQL stores times.
void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out);

// InvalidField(`field`) outside google.protobuf.Timestamp's range
// (0001-01-01 to 9999-12-31) or with nanos outside 0..999999999.
absl::StatusOr<absl::Time> TimeFromProto(const google::protobuf::Timestamp& timestamp,
                                         absl::string_view field);

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// The page size of a List call: 0 means the default, otherwise 1..500;
// anything else is InvalidField("page_size").
absl::StatusOr<int> ResolvePageSize(int32_t requested);

}  // namespace loyalty::rpc
