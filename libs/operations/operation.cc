#include "libs/operations/operation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::operations {
namespace {

bool HasControlCharacter(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace

absl::string_view StateName(OperationState state) {
  switch (state) {
    case OperationState::kPending:
      return "PENDING";
    case OperationState::kRunning:
      return "RUNNING";
    case OperationState::kSucceeded:
      return "SUCCEEDED";
    case OperationState::kFailed:
      return "FAILED";
    case OperationState::kCancelled:
      return "CANCELLED";
  }
  return "PENDING";
}

std::optional<OperationState> ParseState(absl::string_view name) {
  for (OperationState state :
       {OperationState::kPending, OperationState::kRunning, OperationState::kSucceeded,
        OperationState::kFailed, OperationState::kCancelled}) {
    if (StateName(state) == name) return state;
  }
  return std::nullopt;
}

bool IsFinal(OperationState state) {
  return state != OperationState::kPending && state != OperationState::kRunning;
}

absl::Status ValidateNewOperation(const NewOperation& operation, absl::string_view items_field) {
  if (operation.request_id.empty()) return InvalidField("request_id", "required");
  if (operation.request_id.size() > kMaxRequestIdLength) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
  }
  if (HasControlCharacter(operation.request_id)) {
    return InvalidField("request_id", "must not contain control characters");
  }
  if (operation.item_keys.empty()) return InvalidField(items_field, "at least one is required");
  for (size_t i = 0; i < operation.item_keys.size(); ++i) {
    const std::string& key = operation.item_keys[i];
    if (key.empty() || key.size() > kMaxItemKeyLength || HasControlCharacter(key)) {
      return InvalidField(
          absl::StrCat(items_field, "[", i, "]"),
          absl::StrCat("must be 1..", kMaxItemKeyLength, " characters without control characters"));
    }
  }
  return absl::OkStatus();
}

std::string NewOperationId(absl::string_view owner) { return absl::StrCat(owner, "-", NewUuid()); }

std::optional<std::string> OwnerOfOperationId(absl::string_view id) {
  size_t dash = id.find('-');
  if (dash == 0 || dash == absl::string_view::npos || dash + 1 == id.size()) return std::nullopt;
  absl::string_view owner = id.substr(0, dash);
  for (char c : owner) {
    if (c < 'a' || c > 'z') return std::nullopt;
  }
  return std::string(owner);
}

std::string CanonicalContent(const NewOperation& operation) {
  std::string out = "operation.v1|";
  auto add = [&out](absl::string_view value) {
    absl::StrAppend(&out, value.size(), ":", value, "|");
  };
  add(operation.kind);
  add(operation.params);
  for (const std::string& key : operation.item_keys) add(key);
  return out;
}

}  // namespace loyalty::operations
