#include "libs/xlsx/zip_reader.h"

#include <cstdint>
#include <limits>
#include <memory>

#include "libs/xlsx/zip_archive.h"

namespace loyalty::xlsx {

absl::StatusOr<std::string> ReadZipMember(absl::string_view bytes, const std::string& name) {
  absl::StatusOr<std::unique_ptr<ZipArchive>> archive = ZipArchive::OpenBytes(bytes);
  if (!archive.ok()) {
    return archive.status().code() == absl::StatusCode::kInvalidArgument
               ? absl::InvalidArgumentError("not a zip archive")
               : archive.status();
  }
  return (*archive)->ReadAll(name, std::numeric_limits<uint64_t>::max());
}

}  // namespace loyalty::xlsx
