#pragma once

// URL path templates of `google.api.http` rules and their matching.
//
// Grammar (google/api/http.proto):
//   Template = "/" Segments [ Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;
//   Verb     = ":" LITERAL ;
// `{x}` is short for `{x=*}`; `**` may only be the last segment.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::gateway {

// Variable bindings of a match: (field path, value) in template order.
using PathBindings = std::vector<std::pair<std::string, std::string>>;

// A request path split at '/', each segment still percent-encoded; the
// query string is not part of it. Kept raw because a multi-segment variable
// must keep `%2F` encoded while every other segment is fully decoded.
struct RequestPath {
  std::vector<std::string> raw_segments;
};

// Splits "/a/b%20c/d" into raw segments. InvalidArgument for a path that
// does not start with '/' or holds a malformed percent escape.
absl::StatusOr<RequestPath> SplitRequestPath(absl::string_view path);

// Decodes %XX escapes; with keep_slash, "%2F" stays encoded. InvalidArgument
// for a truncated or non-hex escape.
absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool keep_slash = false);

class PathTemplate final {
 public:
  enum class SegmentKind { kLiteral, kSingle, kMulti };
  struct Segment {
    SegmentKind kind;
    std::string literal;  // kLiteral only
  };
  struct Variable {
    std::string field_path;  // e.g. "client.id"
    int start = 0;           // first segment index covered
    int end = 0;             // one past the last segment covered
  };

  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // An empty template; it matches no path.
  PathTemplate() = default;

  // Bindings when `path` matches, nullopt otherwise.
  std::optional<PathBindings> Match(const RequestPath& path) const;

  const std::string& text() const { return text_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::vector<Variable>& variables() const { return variables_; }
  const std::string& verb() const { return verb_; }

  // Orders templates from the most specific: more literal segments first,
  // then fewer `**`, then more segments. Used to pick among matches.
  bool MoreSpecificThan(const PathTemplate& other) const;

 private:
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
  int literal_count_ = 0;
  bool has_multi_ = false;
};

}  // namespace loyalty::gateway
