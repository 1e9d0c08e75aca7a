#pragma once

// Campaigns of a program and the rules a new one must satisfy.
// Pure logic, no I/O.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::campaigns {

enum class CampaignState { kDraft = 1, kActive = 2, kPaused = 3, kFinished = 4 };

inline constexpr int kMaxNameChars = 200;
inline constexpr int kMaxDescriptionChars = 2000;
inline constexpr int32_t kMinPriority = 0;
inline constexpr int32_t kMaxPriority = 1000;

struct Campaign {
  std::string campaign_id;
  std::string program_id;
  std::string name;
  std::string description;
  CampaignState state = CampaignState::kDraft;
  int32_t priority = 0;
  std::optional<absl::Time> start_time;  // unset: in force immediately
  std::optional<absl::Time> end_time;    // unset: open-ended
  absl::Time create_time;
};

// Number of Unicode code points in valid UTF-8 `text` (proto3 strings are
// validated as UTF-8 by the parser), so limits count what people see as
// characters, not bytes.
int CountChars(absl::string_view text);

// Validates and normalises a campaign about to be created, in place: trims
// the name, checks lengths, priority and schedule, and forces the state to
// DRAFT (a campaign is activated by a later, explicit step). Field paths in
// errors are prefixed with `field_prefix` (e.g. "campaign.").
absl::Status PrepareNewCampaign(Campaign& campaign, absl::string_view field_prefix);

}  // namespace loyalty::campaigns
