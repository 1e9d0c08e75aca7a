#include "services/gateway/transcoder.h"

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/errors.h"
#include "libs/common/json.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "services/gateway/field_path.h"
#include "services/gateway/route_table.h"

namespace loyalty::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Values echoed in error messages are cut so that a huge parameter does not
// become a huge error body or log line.
std::string Quote(absl::string_view value) {
  constexpr size_t kMax = 64;
  std::string out;
  AppendJsonString(
      out, value.size() > kMax ? absl::StrCat(value.substr(0, kMax), "...") : std::string(value));
  return out;
}

absl::Status BadValue(absl::string_view path, absl::string_view value, absl::string_view type) {
  return InvalidField(path, absl::StrCat("invalid value ", Quote(value), " for type ", type));
}

google::protobuf::util::JsonParseOptions ParseOptions() {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return options;
}

// Sets (or, for repeated fields, adds) `leaf` of `message` from its URL
// text form.
absl::Status SetFromText(Message& message, const FieldDescriptor* leaf, absl::string_view value,
                         absl::string_view path) {
  const Reflection* r = message.GetReflection();
  const bool repeated = leaf->is_repeated();
  switch (leaf->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string text(value);
      if (leaf->type() == FieldDescriptor::TYPE_BYTES) {
        // Proto3 JSON writes bytes as base64, standard or URL-safe.
        if (!absl::Base64Unescape(value, &text) && !absl::WebSafeBase64Unescape(value, &text)) {
          return BadValue(path, value, "bytes (base64)");
        }
      }
      repeated ? r->AddString(&message, leaf, std::move(text))
               : r->SetString(&message, leaf, std::move(text));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(path, value, "int32");
      repeated ? r->AddInt32(&message, leaf, v) : r->SetInt32(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return BadValue(path, value, "int64");
      repeated ? r->AddInt64(&message, leaf, v) : r->SetInt64(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (absl::StartsWith(value, "-") || !absl::SimpleAtoi(value, &v)) {
        return BadValue(path, value, "uint32");
      }
      repeated ? r->AddUInt32(&message, leaf, v) : r->SetUInt32(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (absl::StartsWith(value, "-") || !absl::SimpleAtoi(value, &v)) {
        return BadValue(path, value, "uint64");
      }
      repeated ? r->AddUInt64(&message, leaf, v) : r->SetUInt64(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!absl::SimpleAtod(value, &v)) return BadValue(path, value, "double");
      repeated ? r->AddDouble(&message, leaf, v) : r->SetDouble(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float v = 0;
      if (!absl::SimpleAtof(value, &v)) return BadValue(path, value, "float");
      repeated ? r->AddFloat(&message, leaf, v) : r->SetFloat(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (value == "true" || value == "1") {
        v = true;
      } else if (value != "false" && value != "0") {
        return BadValue(path, value, "bool");
      }
      repeated ? r->AddBool(&message, leaf, v) : r->SetBool(&message, leaf, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* e = leaf->enum_type()->FindValueByName(std::string(value));
      int number = 0;
      if (e == nullptr && absl::SimpleAtoi(value, &number)) {
        e = leaf->enum_type()->FindValueByNumber(number);
      }
      if (e == nullptr) return BadValue(path, value, leaf->enum_type()->full_name());
      repeated ? r->AddEnum(&message, leaf, e) : r->SetEnum(&message, leaf, e);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = repeated ? r->AddMessage(&message, leaf) : r->MutableMessage(&message, leaf);
      const Descriptor* type = leaf->message_type();
      if (IsWrapper(type)) {
        sub->Clear();
        return SetFromText(*sub, type->FindFieldByName("value"), value, path);
      }
      // Timestamp, Duration, FieldMask: their JSON form is a string.
      std::string json;
      AppendJsonString(json, value);
      sub->Clear();
      auto status = google::protobuf::util::JsonStringToMessage(json, sub, ParseOptions());
      if (!status.ok()) return BadValue(path, value, type->full_name());
      return absl::OkStatus();
    }
  }
  return BadValue(path, value, "unsupported");
}

// Walks to the message that holds the last field of `fields`, creating
// sub-messages on the way.
Message& ParentOf(Message& root, const std::vector<const FieldDescriptor*>& fields) {
  Message* message = &root;
  for (size_t i = 0; i + 1 < fields.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, fields[i]);
  }
  return *message;
}

std::string CanonicalPath(const std::vector<const FieldDescriptor*>& fields) {
  return absl::StrJoin(fields, ".",
                       [](std::string* out, const FieldDescriptor* f) { out->append(f->name()); });
}

// True when `path` is `prefix` or lies below it.
bool Covers(absl::string_view prefix, absl::string_view path) {
  return path == prefix || (absl::StartsWith(path, prefix) && path.size() > prefix.size() &&
                            path[prefix.size()] == '.');
}

absl::Status ParseBody(const Route& route, absl::string_view body, Message& request) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(body);
  // An empty body is an empty message, as in grpc-gateway.
  if (route.body.empty() || trimmed.empty()) return absl::OkStatus();
  if (route.body == "*") {
    auto status =
        google::protobuf::util::JsonStringToMessage(std::string(trimmed), &request, ParseOptions());
    if (!status.ok()) return JsonParseError(std::string(status.message()));
    return absl::OkStatus();
  }
  // One field: parse `{"<field>": <body>}` so that the parser reports
  // errors with the field's path and handles every field kind alike.
  std::string wrapped = "{";
  AppendJsonString(wrapped, route.body);
  absl::StrAppend(&wrapped, ":", trimmed, "}");
  std::unique_ptr<Message> part(request.New());
  auto status = google::protobuf::util::JsonStringToMessage(wrapped, part.get(), ParseOptions());
  if (!status.ok()) return JsonParseError(std::string(status.message()));
  request.MergeFrom(*part);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QueryParams> ParseQueryString(absl::string_view query) {
  QueryParams params;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    for (std::string* part : {&kv.first, &kv.second}) {
      absl::StrReplaceAll({{"+", " "}}, part);
      absl::StatusOr<std::string> decoded = PercentDecode(*part);
      if (!decoded.ok()) {
        return absl::InvalidArgumentError("malformed percent escape in query string");
      }
      *part = *std::move(decoded);
    }
    if (kv.first.empty()) {
      return absl::InvalidArgumentError("query parameter without a name");
    }
    params.push_back(std::move(kv));
  }
  return params;
}

absl::Status JsonParseError(absl::string_view parser_message) {
  // Syntax errors come with a second line quoting the input; the first
  // line says what is wrong.
  absl::string_view line = parser_message.substr(0, parser_message.find('\n'));
  std::string field;
  std::string problem(line);
  constexpr absl::string_view kUnknown = ": Cannot find field.";
  if (absl::StartsWith(line, "(")) {
    // "(a.b[0].c): invalid value ..." or "(a.b[0]) name: Cannot find field."
    size_t close = line.find(')');
    if (close != absl::string_view::npos) {
      field = std::string(line.substr(1, close - 1));
      absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(close + 1));
      if (absl::EndsWith(rest, kUnknown)) {
        absl::string_view name = rest.substr(0, rest.size() - kUnknown.size());
        field = field.empty() ? std::string(name) : absl::StrCat(field, ".", name);
        problem = absl::StrCat("unknown field ", Quote(name));
      } else {
        problem = std::string(absl::StripPrefix(rest, ": "));
      }
    }
  } else if (absl::EndsWith(line, kUnknown) && !absl::StartsWith(line, ":")) {
    absl::string_view name = line.substr(0, line.size() - kUnknown.size());
    field = std::string(name);
    problem = absl::StrCat("unknown field ", Quote(name));
  }
  if (field.empty()) {
    problem = std::string(absl::StripPrefix(absl::StripPrefix(problem, ":"), " "));
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON body: ", problem));
  }
  return FieldError(absl::StatusCode::kInvalidArgument, field,
                    absl::StrCat("invalid JSON body: ", problem));
}

absl::Status BuildRequestMessage(const Route& route, const PathBindings& path,
                                 const QueryParams& query, absl::string_view body,
                                 Message& request) {
  const Descriptor* type = request.GetDescriptor();
  if (absl::Status s = ParseBody(route, body, request); !s.ok()) return s;

  for (const auto& [field_path, value] : path) {
    auto fields = ResolveFieldPath(type, field_path, /*accept_json_names=*/false);
    if (!fields.ok()) return InvalidField(field_path, fields.status().message());
    Message& parent = ParentOf(request, *fields);
    if (absl::Status s = SetFromText(parent, fields->back(), value, field_path); !s.ok()) {
      return s;
    }
  }

  absl::flat_hash_set<std::string> set_from_query;
  for (const auto& [name, value] : query) {
    if (route.body == "*") {
      return InvalidField(name,
                          "query parameters are not accepted here: the "
                          "whole request is the JSON body");
    }
    auto fields = ResolveFieldPath(type, name, /*accept_json_names=*/true);
    if (!fields.ok()) return InvalidField(name, "unknown query parameter");
    const std::string canonical = CanonicalPath(*fields);
    for (const auto& bound : path) {
      if (Covers(bound.first, canonical) || Covers(canonical, bound.first)) {
        return InvalidField(name, "is bound by the URL path");
      }
    }
    if (!route.body.empty() && Covers(route.body, canonical)) {
      return InvalidField(name, "is bound by the request body");
    }
    const FieldDescriptor* leaf = fields->back();
    if (!HasTextValue(leaf)) {
      return InvalidField(name, "cannot be set from a query parameter");
    }
    if (!leaf->is_repeated() && !set_from_query.insert(canonical).second) {
      return InvalidField(name, "given more than once");
    }
    Message& parent = ParentOf(request, *fields);
    if (absl::Status s = SetFromText(parent, leaf, value, canonical); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool IsFileMessage(const Descriptor& type) { return type.full_name() == kFileMessageType; }

absl::StatusOr<FileBody> TakeFileBody(Message& response) {
  const Descriptor* type = response.GetDescriptor();
  const FieldDescriptor* content_type = type->FindFieldByName("content_type");
  const FieldDescriptor* file_name = type->FindFieldByName("file_name");
  const FieldDescriptor* data = type->FindFieldByName("data");
  for (const FieldDescriptor* field : {content_type, file_name, data}) {
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
      return absl::InternalError(absl::StrCat(type->full_name(), " is not a file message"));
    }
  }
  const Reflection* r = response.GetReflection();
  FileBody body;
  body.content_type = r->GetString(response, content_type);
  body.file_name = r->GetString(response, file_name);
  if (body.content_type.empty()) body.content_type = "application/octet-stream";
  for (char c : body.content_type) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return absl::InternalError("file content type holds a control character");
    }
  }
  // The content can be 64 MiB: moved out of the generated message (the
  // usual case, see Gateway's factory), copied only from a dynamic one.
  if (auto* generated = dynamic_cast<loyalty::operations::v1::FileContent*>(&response)) {
    body.data = std::move(*generated->mutable_data());
  } else {
    body.data = r->GetString(response, data);
  }
  return body;
}

std::string ContentDisposition(absl::string_view file_name) {
  std::string safe;
  for (char c : file_name) {
    const bool plain = c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '/' && c != ';';
    safe.push_back(plain ? c : '_');
  }
  if (safe.find_first_not_of("._") == std::string::npos) safe = "download";
  return absl::StrCat("attachment; filename=\"", safe, "\"");
}

absl::StatusOr<std::string> RenderResponseJson(const Route& route, const Message& response) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = false;
  std::string out;
  if (route.response_body.empty()) {
    auto status = google::protobuf::util::MessageToJsonString(response, &out, options);
    if (!status.ok()) return absl::InternalError(std::string(status.message()));
    return out;
  }
  const FieldDescriptor* field = response.GetDescriptor()->FindFieldByName(route.response_body);
  if (field == nullptr) {
    return absl::InternalError(absl::StrCat("no response field ", route.response_body));
  }
  const Reflection* r = response.GetReflection();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
    auto status =
        google::protobuf::util::MessageToJsonString(r->GetMessage(response, field), &out, options);
    if (!status.ok()) return absl::InternalError(std::string(status.message()));
    return out;
  }
  // A repeated or scalar field: print a copy holding only that field and
  // unwrap its value.
  std::unique_ptr<Message> only(response.New());
  only->CopyFrom(response);
  std::vector<const FieldDescriptor*> set;
  r->ListFields(*only, &set);
  for (const FieldDescriptor* other : set) {
    if (other != field) r->ClearField(only.get(), other);
  }
  auto status = google::protobuf::util::MessageToJsonString(*only, &out, options);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  std::string prefix = "{";
  AppendJsonString(prefix, field->json_name());
  prefix += ":";
  if (absl::StartsWith(out, prefix) && absl::EndsWith(out, "}")) {
    return out.substr(prefix.size(), out.size() - prefix.size() - 1);
  }
  // Default value: the field was not printed.
  if (field->is_repeated()) return std::string("[]");
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return std::string("\"\"");
    case FieldDescriptor::CPPTYPE_BOOL:
      return std::string("false");
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::string("\"0\"");
    case FieldDescriptor::CPPTYPE_ENUM: {
      std::string name;
      AppendJsonString(name, field->enum_type()->value(0)->name());
      return name;
    }
    default:
      return std::string("0");
  }
}

}  // namespace loyalty::gateway
