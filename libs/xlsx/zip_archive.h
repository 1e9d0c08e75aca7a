#pragma once

// Reading members of a zip archive (an XLSX file is one) with libzip, in
// pieces, under a size cap: the XLSX reader streams a sheet from here, and
// tests look at a written workbook's XML through it (zip_reader.h).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::xlsx {

// One member opened for reading, front to back.
class ZipMemberStream final {
 public:
  ~ZipMemberStream();
  ZipMemberStream(const ZipMemberStream&) = delete;
  ZipMemberStream& operator=(const ZipMemberStream&) = delete;

  // Up to `capacity` more bytes into `out`; 0 at the end. INVALID_ARGUMENT
  // when the member is damaged or inflates beyond the cap it was opened
  // with (its declared size can lie; what comes out cannot).
  absl::StatusOr<size_t> Read(char* out, size_t capacity);

  const std::string& name() const { return name_; }

 private:
  friend class ZipArchive;
  struct File;
  ZipMemberStream(std::unique_ptr<File> file, std::string name, uint64_t max_bytes);

  std::unique_ptr<File> file_;
  std::string name_;
  uint64_t max_bytes_;
  uint64_t read_ = 0;
};

// An archive opened read-only. Not thread-safe; its member streams must not
// outlive it.
class ZipArchive final {
 public:
  // The archive in the file at `path`. INVALID_ARGUMENT when the file is
  // not a (complete) zip archive, NOT_FOUND when there is no such file.
  static absl::StatusOr<std::unique_ptr<ZipArchive>> OpenFile(const std::string& path);
  // The archive held in `bytes`, which must outlive it.
  static absl::StatusOr<std::unique_ptr<ZipArchive>> OpenBytes(absl::string_view bytes);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  bool Has(const std::string& name) const;

  // The member `name` (case-insensitive, as Office looks parts up) for
  // reading. NOT_FOUND when there is none; INVALID_ARGUMENT when it is
  // encrypted or declares more than `max_bytes` uncompressed.
  absl::StatusOr<std::unique_ptr<ZipMemberStream>> Open(const std::string& name,
                                                        uint64_t max_bytes);
  // The whole member, under the same rules.
  absl::StatusOr<std::string> ReadAll(const std::string& name, uint64_t max_bytes);

 private:
  struct Handle;
  explicit ZipArchive(std::unique_ptr<Handle> handle);

  std::unique_ptr<Handle> handle_;
};

}  // namespace loyalty::xlsx
