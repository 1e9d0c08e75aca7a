#pragma once

// The rows of an uploaded XLSX file for the client import (CLI-8). A zip
// archive needs random access, so the stored chunks are first copied to a
// file on disk, one chunk in memory at a time.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/identity/domain/client_import.h"
#include "services/identity/storage/import_store.h"

namespace loyalty::xlsx {
class SheetReader;
}

namespace loyalty::identity {

// Where an import's copy of a file goes: `<temp_dir>/loyalty-import-<name>.xlsx`
// (temp_dir empty: TMPDIR, or /tmp). Named after what reads it (an
// operation, a start request), not made unique, so that a copy a crash
// leaves behind is overwritten by the next reader of it instead of adding up.
std::string ImportTempPath(const std::string& temp_dir, absl::string_view name);

// The non-empty rows of the first worksheet of a stored XLSX file, from
// sheet row `first_line` on, at most `limit` of them. Each row's line is
// its sheet row number. The copy of the file is removed when the source is
// destroyed (or Open fails).
class XlsxFileRows final : public ImportRowSource {
 public:
  // Copies the file's chunks to `temp_path` (passing each to `on_piece`
  // when given) and opens the workbook: INVALID_ARGUMENT (from the
  // reader, unnamed) when it is not one we can read.
  static absl::StatusOr<std::unique_ptr<XlsxFileRows>> Open(
      ImportStore& store, const std::string& file_id, std::string temp_path, int64_t first_line,
      std::optional<int64_t> limit = std::nullopt,
      const std::function<void(absl::string_view)>& on_piece = nullptr);
  ~XlsxFileRows() override;
  XlsxFileRows(const XlsxFileRows&) = delete;
  XlsxFileRows& operator=(const XlsxFileRows&) = delete;

  // An error is about the file (malformed XML, a limit), not a row.
  absl::StatusOr<std::optional<ImportRow>> Next() override;
  // The line after the last row returned (`first_line` before any).
  int64_t line() const { return next_line_; }
  // Bytes copied from the store.
  int64_t size() const { return size_; }

 private:
  XlsxFileRows(std::string temp_path, int64_t first_line, std::optional<int64_t> limit);

  std::string temp_path_;
  std::unique_ptr<xlsx::SheetReader> reader_;
  int64_t next_line_;
  std::optional<int64_t> remaining_;
  int64_t size_ = 0;
};

}  // namespace loyalty::identity
