#include "services/identity/api/import_xlsx.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/xlsx/reader.h"

namespace loyalty::identity {
namespace {

absl::Status CopyFailed(const std::string& path, int error) {
  // Most likely a full disk: not the file's fault, and not going away by
  // itself within a retry.
  return absl::ResourceExhaustedError(
      absl::StrCat("cannot write the file's copy ", path, ": ", std::strerror(error)));
}

// Writes the stored chunks to `path`, overwriting what is there.
absl::StatusOr<int64_t> CopyChunks(ImportStore& store, const std::string& file_id,
                                   const std::string& path,
                                   const std::function<void(absl::string_view)>& on_piece) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return CopyFailed(path, errno);
  int64_t offset = 0;
  while (true) {
    absl::StatusOr<std::string> piece = store.ReadPiece(file_id, offset);
    if (!piece.ok()) {
      std::fclose(file);
      return piece.status();
    }
    if (piece->empty()) break;
    if (on_piece) on_piece(*piece);
    if (std::fwrite(piece->data(), 1, piece->size(), file) != piece->size()) {
      const int error = errno;
      std::fclose(file);
      return CopyFailed(path, error);
    }
    offset += static_cast<int64_t>(piece->size());
  }
  if (std::fclose(file) != 0) return CopyFailed(path, errno);
  return offset;
}

bool IsEmptyRow(const xlsx::Row& row) {
  for (const std::string& cell : row.cells) {
    if (!absl::StripAsciiWhitespace(cell).empty()) return false;
  }
  return true;
}

}  // namespace

std::string ImportTempPath(const std::string& temp_dir, absl::string_view name) {
  std::filesystem::path dir = temp_dir;
  if (dir.empty()) {
    std::error_code error;
    dir = std::filesystem::temp_directory_path(error);  // TMPDIR, or /tmp
    if (error) dir = "/tmp";
  }
  return (dir / absl::StrCat("loyalty-import-", name, ".xlsx")).string();
}

XlsxFileRows::XlsxFileRows(std::string temp_path, int64_t first_line, std::optional<int64_t> limit)
    : temp_path_(std::move(temp_path)), next_line_(first_line), remaining_(limit) {}

XlsxFileRows::~XlsxFileRows() {
  reader_.reset();  // closes the file before it goes
  std::error_code ignored;
  std::filesystem::remove(temp_path_, ignored);
}

absl::StatusOr<std::unique_ptr<XlsxFileRows>> XlsxFileRows::Open(
    ImportStore& store, const std::string& file_id, std::string temp_path, int64_t first_line,
    std::optional<int64_t> limit, const std::function<void(absl::string_view)>& on_piece) {
  // Owns the copy from before it exists: every return below removes it.
  std::unique_ptr<XlsxFileRows> rows(new XlsxFileRows(std::move(temp_path), first_line, limit));
  ASSIGN_OR_RETURN(rows->size_, CopyChunks(store, file_id, rows->temp_path_, on_piece));
  ASSIGN_OR_RETURN(rows->reader_, xlsx::SheetReader::Open(rows->temp_path_));
  return rows;
}

absl::StatusOr<std::optional<ImportRow>> XlsxFileRows::Next() {
  if (remaining_ && *remaining_ <= 0) return std::nullopt;
  xlsx::Row row;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader_->Next(&row));
    if (!more) return std::nullopt;
    // Rows before the batch are read through (a zipped sheet has no index
    // to seek by); empty ones are no rows at all.
    if (row.number < next_line_ || IsEmptyRow(row)) continue;
    next_line_ = row.number + 1;
    if (remaining_) --*remaining_;
    return ImportRow{.line = row.number, .cells = std::move(row.cells)};
  }
}

}  // namespace loyalty::identity
