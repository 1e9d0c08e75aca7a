#include "services/identity/domain/audit.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/json.h"
#include "libs/common/page_token.h"

namespace loyalty::identity {
namespace {

constexpr std::pair<ActorKind, absl::string_view> kActorKindNames[] = {
    {ActorKind::kSystem, "system"},
    {ActorKind::kOperator, "operator"},
    {ActorKind::kApiKey, "api_key"},
    {ActorKind::kClient, "client"},
};

absl::Status NotOurToken() {
  return InvalidField("page_token", "not a token from a previous response");
}

}  // namespace

absl::string_view ActorKindName(ActorKind kind) {
  for (const auto& [known, name] : kActorKindNames) {
    if (known == kind) return name;
  }
  return "system";
}

std::optional<ActorKind> ActorKindFromName(absl::string_view name) {
  for (const auto& [kind, known] : kActorKindNames) {
    if (known == name) return kind;
  }
  return std::nullopt;
}

AuditFields& AuditFields::Text(absl::string_view name, absl::string_view value) {
  std::string json;
  AppendJsonString(json, value);
  return Json(name, json);
}

AuditFields& AuditFields::Bool(absl::string_view name, bool value) {
  return Json(name, value ? "true" : "false");
}

AuditFields& AuditFields::Int(absl::string_view name, int64_t value) {
  return Json(name, absl::StrCat(value));
}

AuditFields& AuditFields::TextList(absl::string_view name, const std::vector<std::string>& values) {
  std::string json = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) json += ",";
    AppendJsonString(json, values[i]);
  }
  json += "]";
  return Json(name, json);
}

AuditFields& AuditFields::Json(absl::string_view name, absl::string_view json) {
  if (!members_.empty()) members_ += ",";
  AppendJsonString(members_, name);
  absl::StrAppend(&members_, ":", json);
  return *this;
}

std::string AuditFields::ToJson() const {
  if (members_.empty()) return "";
  return absl::StrCat("{", members_, "}");
}

std::string EncodeAuditPosition(const AuditPosition& position) {
  return EncodePageToken(
      absl::StrCat(absl::ToUnixMicros(position.record_time), ":", position.entry_id));
}

absl::StatusOr<AuditPosition> DecodeAuditPosition(absl::string_view token) {
  absl::StatusOr<std::string> raw = DecodePageToken(token);
  if (!raw.ok()) return raw.status();
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(*raw, ':');
  int64_t micros = 0;
  AuditPosition position;
  if (!absl::SimpleAtoi(parts.first, &micros) ||
      !absl::SimpleAtoi(parts.second, &position.entry_id) || position.entry_id <= 0) {
    return NotOurToken();
  }
  position.record_time = absl::FromUnixMicros(micros);
  return position;
}

}  // namespace loyalty::identity
