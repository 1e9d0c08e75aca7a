#include "libs/csv/reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/common/text.h"
#include "libs/csv/csv.h"

namespace loyalty::csv {

char DetectDelimiter(absl::string_view text) {
  size_t commas = 0;
  size_t semicolons = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    if (c == ',') ++commas;
    if (c == ';') ++semicolons;
  }
  return semicolons > commas ? ';' : ',';
}

Reader::Reader(char delimiter, int64_t offset, int64_t line)
    : delimiter_(delimiter), offset_(offset), line_(line), at_start_(offset == 0) {}

void Reader::Feed(absl::string_view data) {
  // Dropping what was read only here keeps taking a record O(its length).
  buffer_.erase(0, pos_);
  pos_ = 0;
  buffer_.append(data.data(), data.size());
}

absl::StatusOr<std::optional<Record>> Reader::Next() {
  if (at_start_) {
    // A prefix of the mark could still be a short first piece.
    if (buffer_.size() < kUtf8Bom.size() && !finished_ &&
        absl::string_view(kUtf8Bom).substr(0, buffer_.size()) == buffer_) {
      return std::nullopt;
    }
    if (absl::string_view(buffer_).substr(0, kUtf8Bom.size()) == kUtf8Bom) {
      pos_ = kUtf8Bom.size();
      offset_ += kUtf8Bom.size();
    }
    at_start_ = false;
  }
  while (true) {
    Record record{.line = line_, .offset = offset_};
    std::string cell;
    bool quoted = false;
    bool cell_started_quoted = false;
    int64_t line_breaks = 0;
    size_t i = pos_;
    size_t end = std::string::npos;  // index after the record's line break
    for (; i < buffer_.size(); ++i) {
      const char c = buffer_[i];
      if (quoted) {
        if (c != '"') {
          if (c == '\n') ++line_breaks;
          cell.push_back(c);
        } else if (i + 1 < buffer_.size()) {
          if (buffer_[i + 1] == '"') {
            cell.push_back('"');
            ++i;
          } else {
            quoted = false;
          }
        } else if (finished_) {
          quoted = false;
        } else {
          break;  // "" or the closing quote: the next piece decides
        }
        continue;
      }
      if (c == '"' && cell.empty() && !cell_started_quoted) {
        quoted = cell_started_quoted = true;
      } else if (c == delimiter_) {
        record.cells.push_back(std::move(cell));
        cell.clear();
        cell_started_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r') {
          if (i + 1 == buffer_.size() && !finished_) break;  // CR of a CRLF?
          if (i + 1 < buffer_.size() && buffer_[i + 1] == '\n') ++i;
        }
        end = i + 1;
        ++line_breaks;
        break;
      } else {
        cell.push_back(c);
      }
    }
    if (end == std::string::npos) {
      if (!finished_) {
        if (buffer_.size() - pos_ > kMaxRecordBytes) {
          return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": a record longer than ",
                                                         kMaxRecordBytes,
                                                         " bytes (a quote left open?)"));
        }
        return std::nullopt;
      }
      if (quoted) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_, ": a quote is left open at the end of the file"));
      }
      if (pos_ == buffer_.size()) return std::nullopt;
      end = buffer_.size();
    }
    record.cells.push_back(std::move(cell));
    offset_ += static_cast<int64_t>(end - pos_);
    pos_ = end;
    line_ += line_breaks;
    if (record.cells.size() == 1 && record.cells[0].empty() && !cell_started_quoted) {
      continue;  // a blank line
    }
    for (const std::string& text : record.cells) {
      if (!Utf8Length(text)) record.utf8 = false;
    }
    return record;
  }
}

}  // namespace loyalty::csv
