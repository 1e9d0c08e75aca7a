#pragma once

// Attribute values between the domain and loyalty.identity.v1 messages;
// shared by the API and by the store, which publishes values in events.

#include "loyalty/identity/v1/attributes_service.pb.h"
#include "services/identity/domain/attribute.h"

namespace loyalty::identity {

// A normalised value; its `type` picks the proto field.
void AttributeValueToProto(const AttributeValue& value, v1::AttributeValue& out);

// A value as sent: `type` says which field was set (kUnspecified: none).
AttributeValue AttributeValueFromProto(const v1::AttributeValue& value);

}  // namespace loyalty::identity
