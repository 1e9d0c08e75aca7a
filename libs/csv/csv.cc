#include "libs/csv/csv.h"

#include "absl/strings/str_cat.h"

namespace loyalty::csv {

bool LooksLikeFormula(absl::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

void Row::Separate() {
  if (!empty_) line_.push_back(',');
  empty_ = false;
}

Row& Row::Text(absl::string_view text) {
  Separate();
  const bool guard = LooksLikeFormula(text);
  const bool quote = text.find_first_of(",\"\r\n") != absl::string_view::npos;
  if (quote) line_.push_back('"');
  if (guard) line_.push_back('\'');
  for (char c : text) {
    if (c == '"') line_.push_back('"');
    line_.push_back(c);
  }
  if (quote) line_.push_back('"');
  return *this;
}

Row& Row::Integer(int64_t value) {
  Separate();
  absl::StrAppend(&line_, value);
  return *this;
}

std::string Row::Finish() {
  line_.append("\r\n");
  std::string out = std::move(line_);
  line_.clear();
  empty_ = true;
  return out;
}

}  // namespace loyalty::csv
