#include "services/identity/storage/attribute_proto.h"

namespace loyalty::identity {

void AttributeValueToProto(const AttributeValue& value, v1::AttributeValue& out) {
  out.set_key(value.key);
  switch (value.type) {
    case AttributeType::kString:
      out.set_string_value(value.text);
      break;
    case AttributeType::kNumber:
      out.set_number_value(value.text);
      break;
    case AttributeType::kBool:
      out.set_bool_value(value.boolean);
      break;
    case AttributeType::kDate:
      out.set_date_value(value.text);
      break;
    case AttributeType::kEnum:
      out.set_enum_value(value.text);
      break;
    case AttributeType::kList:
      for (const std::string& item : value.list) out.mutable_list_value()->add_values(item);
      // An empty list still says "a list".
      out.mutable_list_value();
      break;
    case AttributeType::kUnspecified:
      break;
  }
}

AttributeValue AttributeValueFromProto(const v1::AttributeValue& value) {
  AttributeValue out{.key = value.key()};
  switch (value.value_case()) {
    case v1::AttributeValue::kStringValue:
      out.type = AttributeType::kString;
      out.text = value.string_value();
      break;
    case v1::AttributeValue::kNumberValue:
      out.type = AttributeType::kNumber;
      out.text = value.number_value();
      break;
    case v1::AttributeValue::kBoolValue:
      out.type = AttributeType::kBool;
      out.boolean = value.bool_value();
      break;
    case v1::AttributeValue::kDateValue:
      out.type = AttributeType::kDate;
      out.text = value.date_value();
      break;
    case v1::AttributeValue::kEnumValue:
      out.type = AttributeType::kEnum;
      out.text = value.enum_value();
      break;
    case v1::AttributeValue::kListValue:
      out.type = AttributeType::kList;
      out.list.assign(value.list_value().values().begin(), value.list_value().values().end());
      break;
    case v1::AttributeValue::VALUE_NOT_SET:
      break;
  }
  return out;
}

}  // namespace loyalty::identity
