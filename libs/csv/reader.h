#pragma once

// Reading CSV files people export from spreadsheets (RFC 4180 quoting,
// UTF-8 with or without a byte order mark, `,` or `;` between cells, CRLF
// or LF line ends), a piece at a time: the caller feeds bytes as it reads
// them and takes whole records out, so a file of any size is read with
// memory for one piece plus one record.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::csv {

// One record (a row of cells).
struct Record {
  int64_t line = 0;    // 1-based line of the file the record starts on
  int64_t offset = 0;  // byte offset of the file where it starts
  std::vector<std::string> cells;
  // False when some cell is not UTF-8: the cells are as they were, for the
  // caller to report the row.
  bool utf8 = true;
};

// A record longer than this is not a spreadsheet row but a broken file
// (an unclosed quote); reading stops with INVALID_ARGUMENT.
inline constexpr size_t kMaxRecordBytes = size_t{1} << 20;

// The separator the header line `text` (the start of a file) uses: `;`
// when it has more semicolons than commas outside quotes, else `,`.
char DetectDelimiter(absl::string_view text);

class Reader final {
 public:
  // Reads from the start of a file (a leading byte order mark is skipped),
  // or from a record boundary found by an earlier reader: `offset` and
  // `line` of that record.
  explicit Reader(char delimiter, int64_t offset = 0, int64_t line = 1);

  // Appends the next bytes of the file.
  void Feed(absl::string_view data);
  // No more bytes: the last record may end without a line break.
  void Finish() { finished_ = true; }

  // The next whole record; nullopt when more bytes are needed (or, after
  // Finish, at the end). Blank lines are skipped. INVALID_ARGUMENT naming
  // the line for a record past kMaxRecordBytes or a quote left open at the
  // end of the file.
  absl::StatusOr<std::optional<Record>> Next();

  // Byte offset of the file just after the last record taken.
  int64_t offset() const { return offset_; }
  // Line the next record starts on.
  int64_t line() const { return line_; }

 private:
  const char delimiter_;
  std::string buffer_;  // bytes from offset_ - pos_ on
  size_t pos_ = 0;      // where the next record starts in buffer_
  int64_t offset_;
  int64_t line_;
  bool at_start_;
  bool finished_ = false;
};

}  // namespace loyalty::csv
