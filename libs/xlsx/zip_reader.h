#pragma once

// Test support: reads one member of a zip archive held in memory (an XLSX
// file is one), with libzip, so that tests can look at the sheet's XML.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::xlsx {

// The member `name` (e.g. "xl/worksheets/sheet1.xml") of the archive
// `bytes`; INVALID_ARGUMENT when `bytes` is no zip archive, NOT_FOUND when
// it has no such member.
absl::StatusOr<std::string> ReadZipMember(absl::string_view bytes, const std::string& name);

}  // namespace loyalty::xlsx
