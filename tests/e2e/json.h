#pragma once

// Proto3 JSON helpers for end-to-end tests: responses are parsed into the
// contract's messages, so assertions are typed and unknown fields fail.

#include <string>

#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace loyalty::e2e {

template <typename Message>
Message Parse(const std::string& json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << json;
  return message;
}

inline std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

}  // namespace loyalty::e2e
