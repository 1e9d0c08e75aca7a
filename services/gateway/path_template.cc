#include "services/gateway/path_template.h"

#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace loyalty::gateway {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Recursive-descent parser over the part of the template before the verb.
class Parser final {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::Status Run(std::vector<PathTemplate::Segment>& segments,
                   std::vector<PathTemplate::Variable>& variables) {
    segments_ = &segments;
    variables_ = &variables;
    if (absl::Status s = ParseSegments(/*in_variable=*/false); !s.ok()) return s;
    if (pos_ != text_.size()) return Error("unexpected character");
    return absl::OkStatus();
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " at offset ", pos_ + 1));
  }

  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  absl::Status ParseSegments(bool in_variable) {
    while (true) {
      if (absl::Status s = ParseSegment(in_variable); !s.ok()) return s;
      if (!Peek('/')) return absl::OkStatus();
      ++pos_;
    }
  }

  absl::Status ParseSegment(bool in_variable) {
    if (text_.substr(pos_, 2) == "**") {
      pos_ += 2;
      segments_->push_back({PathTemplate::SegmentKind::kMulti, ""});
      return absl::OkStatus();
    }
    if (Peek('*')) {
      ++pos_;
      segments_->push_back({PathTemplate::SegmentKind::kSingle, ""});
      return absl::OkStatus();
    }
    if (Peek('{')) {
      if (in_variable) return Error("nested variable");
      return ParseVariable();
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '/' && text_[pos_] != '}') {
      char c = text_[pos_];
      if (c == '{' || c == '*' || c == '=' || c == '?' || c == '#') {
        return Error("invalid character in literal segment");
      }
      ++pos_;
    }
    if (pos_ == start) return Error("empty segment");
    absl::StatusOr<std::string> literal = PercentDecode(text_.substr(start, pos_ - start));
    if (!literal.ok()) return Error("malformed percent escape");
    segments_->push_back({PathTemplate::SegmentKind::kLiteral, *std::move(literal)});
    return absl::OkStatus();
  }

  absl::Status ParseVariable() {
    ++pos_;  // '{'
    size_t start = pos_;
    while (true) {
      if (pos_ >= text_.size() || !IsIdentStart(text_[pos_])) {
        return Error("expected a field name");
      }
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      if (!Peek('.')) break;
      ++pos_;
    }
    PathTemplate::Variable variable;
    variable.field_path = std::string(text_.substr(start, pos_ - start));
    variable.start = static_cast<int>(segments_->size());
    if (Peek('=')) {
      ++pos_;
      if (absl::Status s = ParseSegments(/*in_variable=*/true); !s.ok()) return s;
    } else {
      segments_->push_back({PathTemplate::SegmentKind::kSingle, ""});
    }
    if (!Peek('}')) return Error("expected '}'");
    ++pos_;
    variable.end = static_cast<int>(segments_->size());
    variables_->push_back(std::move(variable));
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
  std::vector<PathTemplate::Segment>* segments_ = nullptr;
  std::vector<PathTemplate::Variable>* variables_ = nullptr;
};

}  // namespace

absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return absl::InvalidArgumentError("truncated percent escape");
    }
    int high = HexValue(text[i + 1]);
    int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError("malformed percent escape");
    }
    char decoded = static_cast<char>(high * 16 + low);
    if (keep_slash && decoded == '/') {
      out.append(text.data() + i, 3);
    } else {
      out.push_back(decoded);
    }
    i += 2;
  }
  return out;
}

absl::StatusOr<RequestPath> SplitRequestPath(absl::string_view path) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError("request path must start with '/'");
  }
  RequestPath result;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    absl::string_view segment = path.substr(
        start, slash == absl::string_view::npos ? absl::string_view::npos : slash - start);
    if (!PercentDecode(segment).ok()) {
      return absl::InvalidArgumentError("malformed percent escape in request path");
    }
    result.raw_segments.emplace_back(segment);
    if (slash == absl::string_view::npos) break;
    start = slash + 1;
  }
  return result;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  auto fail = [&](const absl::Status& status) {
    return absl::InvalidArgumentError(
        absl::StrCat("path template \"", std::string(text), "\": ", std::string(status.message())));
  };
  if (text.size() < 2 || text[0] != '/') {
    return fail(absl::InvalidArgumentError("must start with '/' and name a segment"));
  }
  // The verb starts at the first ':' outside braces after the last '/'
  // outside braces.
  size_t verb_colon = absl::string_view::npos;
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{') ++depth;
    if (c == '}') --depth;
    if (depth != 0) continue;
    if (c == '/') verb_colon = absl::string_view::npos;
    if (c == ':' && verb_colon == absl::string_view::npos) verb_colon = i;
  }
  PathTemplate result;
  result.text_ = std::string(text);
  absl::string_view body = text.substr(1);
  if (verb_colon != absl::string_view::npos) {
    result.verb_ = std::string(text.substr(verb_colon + 1));
    body = text.substr(1, verb_colon - 1);
    if (result.verb_.empty()) return fail(absl::InvalidArgumentError("empty verb"));
    for (char c : result.verb_) {
      if (c == '/' || c == '{' || c == '}' || c == '*' || c == ':') {
        return fail(absl::InvalidArgumentError("invalid character in verb"));
      }
    }
  }
  Parser parser(body);
  if (absl::Status s = parser.Run(result.segments_, result.variables_); !s.ok()) {
    return fail(s);
  }
  absl::flat_hash_set<std::string> seen;
  for (const Variable& variable : result.variables_) {
    if (!seen.insert(variable.field_path).second) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("variable ", variable.field_path, " bound twice")));
    }
  }
  for (size_t i = 0; i < result.segments_.size(); ++i) {
    const Segment& segment = result.segments_[i];
    if (segment.kind == SegmentKind::kMulti) {
      if (i + 1 != result.segments_.size()) {
        return fail(absl::InvalidArgumentError("'**' must be the last segment"));
      }
      result.has_multi_ = true;
    }
    if (segment.kind == SegmentKind::kLiteral) ++result.literal_count_;
  }
  return result;
}

std::optional<PathBindings> PathTemplate::Match(const RequestPath& path) const {
  std::vector<absl::string_view> segments(path.raw_segments.begin(), path.raw_segments.end());
  if (!verb_.empty()) {
    if (segments.empty()) return std::nullopt;
    absl::string_view last = segments.back();
    if (last.size() <= verb_.size() + 1 ||
        last.substr(last.size() - verb_.size() - 1) != absl::StrCat(":", verb_)) {
      return std::nullopt;
    }
    segments.back() = last.substr(0, last.size() - verb_.size() - 1);
  }
  const size_t n = segments_.size();
  const size_t m = segments.size();
  if (has_multi_ ? m + 1 < n : m != n) return std::nullopt;
  for (size_t i = 0; i < n; ++i) {
    const Segment& segment = segments_[i];
    switch (segment.kind) {
      case SegmentKind::kLiteral: {
        absl::StatusOr<std::string> decoded = PercentDecode(segments[i]);
        if (!decoded.ok() || *decoded != segment.literal) return std::nullopt;
        break;
      }
      case SegmentKind::kSingle:
        if (segments[i].empty()) return std::nullopt;
        break;
      case SegmentKind::kMulti:
        break;
    }
  }
  PathBindings bindings;
  bindings.reserve(variables_.size());
  for (const Variable& variable : variables_) {
    size_t start = static_cast<size_t>(variable.start);
    size_t end = static_cast<size_t>(variable.end);
    if (has_multi_ && end == n) end = m;  // `**` takes the rest of the path
    bool single = end == start + 1 && segments_[start].kind != SegmentKind::kMulti;
    std::vector<std::string> parts;
    for (size_t i = start; i < end; ++i) {
      // SplitRequestPath validated every escape already.
      parts.push_back(PercentDecode(segments[i], /*keep_slash=*/!single).value_or(""));
    }
    bindings.emplace_back(variable.field_path, absl::StrJoin(parts, "/"));
  }
  return bindings;
}

bool PathTemplate::MoreSpecificThan(const PathTemplate& other) const {
  auto key = [](const PathTemplate& t) {
    return std::make_tuple(t.literal_count_, !t.has_multi_, t.segments_.size(), !t.verb_.empty());
  };
  if (key(*this) != key(other)) return key(*this) > key(other);
  return text_ < other.text_;
}

}  // namespace loyalty::gateway
