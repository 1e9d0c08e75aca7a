#include "libs/xlsx/zip_reader.h"

#include <zip.h>

#include "absl/strings/str_cat.h"

namespace loyalty::xlsx {

absl::StatusOr<std::string> ReadZipMember(absl::string_view bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) return absl::InternalError("cannot read the bytes");
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (archive == nullptr) {
    zip_source_free(source);
    return absl::InvalidArgumentError("not a zip archive");
  }
  zip_stat_t stat;
  zip_file_t* file = nullptr;
  if (zip_stat(archive, name.c_str(), 0, &stat) != 0 ||
      (file = zip_fopen(archive, name.c_str(), 0)) == nullptr) {
    zip_close(archive);
    return absl::NotFoundError(absl::StrCat("no ", name, " in the archive"));
  }
  std::string content(stat.size, '\0');
  const zip_int64_t read = zip_fread(file, content.data(), stat.size);
  zip_fclose(file);
  zip_close(archive);
  if (read != static_cast<zip_int64_t>(stat.size)) {
    return absl::DataLossError(absl::StrCat(name, " is damaged"));
  }
  return content;
}

}  // namespace loyalty::xlsx
