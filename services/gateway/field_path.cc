#include "services/gateway/field_path.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"

namespace loyalty::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const FieldDescriptor* FindField(const Descriptor* type, absl::string_view name,
                                 bool accept_json_names) {
  const FieldDescriptor* field = type->FindFieldByName(std::string(name));
  if (field != nullptr || !accept_json_names) return field;
  for (int i = 0; i < type->field_count(); ++i) {
    if (type->field(i)->json_name() == name) return type->field(i);
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::vector<const FieldDescriptor*>> ResolveFieldPath(const Descriptor* type,
                                                                     absl::string_view path,
                                                                     bool accept_json_names) {
  std::vector<const FieldDescriptor*> fields;
  const std::string text(path);
  if (text.empty()) return absl::InvalidArgumentError("empty field path");
  for (absl::string_view part : absl::StrSplit(text, '.')) {
    if (type == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(text, ": ", fields.back()->name(), " is not a message"));
    }
    const FieldDescriptor* field = FindField(type, part, accept_json_names);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(text, ": no field ", part, " in ", type->full_name()));
    }
    fields.push_back(field);
    bool traversable =
        field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated();
    type = traversable ? field->message_type() : nullptr;
  }
  return fields;
}

bool IsWrapper(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.DoubleValue" || name == "google.protobuf.FloatValue" ||
         name == "google.protobuf.Int64Value" || name == "google.protobuf.UInt64Value" ||
         name == "google.protobuf.Int32Value" || name == "google.protobuf.UInt32Value" ||
         name == "google.protobuf.BoolValue" || name == "google.protobuf.StringValue" ||
         name == "google.protobuf.BytesValue";
}

bool HasTextValue(const FieldDescriptor* field) {
  if (field->is_map()) return false;
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const Descriptor* type = field->message_type();
  const std::string& name = type->full_name();
  return IsWrapper(type) || name == "google.protobuf.Timestamp" ||
         name == "google.protobuf.Duration" || name == "google.protobuf.FieldMask";
}

}  // namespace loyalty::gateway
