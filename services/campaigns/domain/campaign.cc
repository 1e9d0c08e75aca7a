#include "services/campaigns/domain/campaign.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/promotions/validate.h"

namespace loyalty::campaigns {

int CountChars(absl::string_view text) {
  int count = 0;
  for (char c : text) {
    // Every code point has exactly one byte that is not a continuation byte.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

namespace {

// The checks the engine's validator does not make (or makes less strictly):
// character counts, and start/end with the resource's field names.
absl::Status CheckBasics(Campaign& campaign, absl::string_view field_prefix) {
  campaign.name = std::string(absl::StripAsciiWhitespace(campaign.name));
  int name_chars = CountChars(campaign.name);
  if (name_chars < 1 || name_chars > kMaxNameChars) {
    return InvalidField(absl::StrCat(field_prefix, "name"),
                        absl::StrCat("must be 1..", kMaxNameChars, " characters"));
  }
  if (CountChars(campaign.description) > kMaxDescriptionChars) {
    return InvalidField(absl::StrCat(field_prefix, "description"),
                        absl::StrCat("longer than ", kMaxDescriptionChars, " characters"));
  }
  if (campaign.priority < kMinPriority || campaign.priority > kMaxPriority) {
    return InvalidField(absl::StrCat(field_prefix, "priority"),
                        absl::StrCat("must be within ", kMinPriority, "..", kMaxPriority));
  }
  if (campaign.start_time && campaign.end_time && *campaign.end_time <= *campaign.start_time) {
    return InvalidField(absl::StrCat(field_prefix, "end_time"), "must follow start_time");
  }
  return absl::OkStatus();
}

}  // namespace

const char* StateName(CampaignState state) {
  switch (state) {
    case CampaignState::kDraft:
      return "DRAFT";
    case CampaignState::kActive:
      return "ACTIVE";
    case CampaignState::kPaused:
      return "PAUSED";
    case CampaignState::kFinished:
      return "FINISHED";
  }
  return "DRAFT";
}

promotions::Campaign ToEngineCampaign(const Campaign& campaign) {
  promotions::Campaign engine;
  engine.campaign_id = campaign.campaign_id;
  engine.version = campaign.version;
  engine.name = campaign.name;
  engine.priority = campaign.priority;
  engine.stacking = campaign.stacking;
  engine.state = static_cast<promotions::CampaignState>(campaign.state);
  engine.schedule.start_time = campaign.start_time;
  engine.schedule.end_time = campaign.end_time;
  engine.schedule.days = campaign.schedule.days;
  engine.schedule.hours = campaign.schedule.hours;
  engine.schedule.time_zone = campaign.schedule.time_zone;
  engine.audience = campaign.audience;
  engine.rules = campaign.rules;
  engine.budget = campaign.budget;
  return engine;
}

std::string ResourceFieldPath(absl::string_view engine_path) {
  absl::string_view rest = engine_path;
  if (absl::ConsumePrefix(&rest, "schedule.") &&
      (absl::StartsWith(rest, "start_time") || absl::StartsWith(rest, "end_time"))) {
    return std::string(rest);
  }
  return std::string(engine_path);
}

absl::Status ValidateDefinition(Campaign& campaign, bool require_rules,
                                absl::string_view field_prefix) {
  RETURN_IF_ERROR(CheckBasics(campaign, field_prefix));
  promotions::Campaign engine = ToEngineCampaign(campaign);
  // A campaign not yet saved has neither; the engine insists on both.
  if (engine.campaign_id.empty()) engine.campaign_id = "new";
  if (engine.version < 1) engine.version = 1;
  promotions::ValidationResult result = promotions::ValidateCampaign(engine);
  std::vector<promotions::Violation> violations;
  for (promotions::Violation& violation : result.violations) {
    if (!require_rules && violation.field == "rules" && campaign.rules.empty()) continue;
    violation.field = absl::StrCat(field_prefix, ResourceFieldPath(violation.field));
    violations.push_back(std::move(violation));
  }
  return promotions::ViolationsToStatus(violations);
}

absl::Status PrepareNewCampaign(Campaign& campaign, absl::string_view field_prefix) {
  RETURN_IF_ERROR(ValidateDefinition(campaign, /*require_rules=*/false, field_prefix));
  campaign.state = CampaignState::kDraft;
  return absl::OkStatus();
}

absl::Status CheckEdit(const Campaign& current, Campaign& edited, absl::string_view field_prefix) {
  if (current.state == CampaignState::kFinished) {
    return absl::FailedPreconditionError("the campaign is FINISHED and cannot change");
  }
  return ValidateDefinition(edited, /*require_rules=*/current.state == CampaignState::kActive,
                            field_prefix);
}

absl::StatusOr<bool> CheckTransition(CampaignState from, CampaignState to) {
  if (from == to) return false;
  bool allowed = (from == CampaignState::kDraft && to == CampaignState::kActive) ||
                 (from == CampaignState::kActive && to == CampaignState::kPaused) ||
                 (from == CampaignState::kPaused && to == CampaignState::kActive) ||
                 (to == CampaignState::kFinished &&
                  (from == CampaignState::kActive || from == CampaignState::kPaused));
  if (!allowed) {
    return absl::FailedPreconditionError(
        absl::StrCat("a ", StateName(from), " campaign cannot become ", StateName(to)));
  }
  return true;
}

absl::Status CheckActivation(const Campaign& campaign) {
  Campaign copy = campaign;
  absl::Status status = ValidateDefinition(copy, /*require_rules=*/true, "");
  if (status.ok()) return status;
  // The stored campaign is at fault, not the request: fix it, then retry.
  absl::Status refused(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("cannot activate: ", status.message()));
  if (absl::optional<absl::Cord> field = status.GetPayload(kFieldViolationPayload)) {
    refused.SetPayload(kFieldViolationPayload, *field);
  }
  return refused;
}

}  // namespace loyalty::campaigns
