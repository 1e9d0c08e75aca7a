#pragma once

// Campaigns of a program, the rules a definition must satisfy and the
// lifecycle. Pure logic, no I/O. The rule part mirrors libs/promotions'
// model so that pos can price receipts from it unchanged.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/promotions/model.h"

namespace loyalty::campaigns {

enum class CampaignState { kDraft = 1, kActive = 2, kPaused = 3, kFinished = 4 };

inline constexpr int kMaxNameChars = 200;
inline constexpr int kMaxDescriptionChars = 2000;
inline constexpr int32_t kMinPriority = 0;
inline constexpr int32_t kMaxPriority = 1000;

// Days and hours within [start_time, end_time), in local time.
struct LocalSchedule {
  std::string time_zone;                        // IANA name; empty: the program's
  std::vector<absl::Weekday> days;              // empty: every day
  std::vector<promotions::MinuteWindow> hours;  // empty: all day
};

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
  // 1 at creation, +1 on every accepted update; receipts record it.
  int64_t version = 1;
  promotions::Stacking stacking = promotions::Stacking::kCombinable;
  LocalSchedule schedule;
  promotions::Audience audience;
  std::vector<promotions::Rule> rules;
  // Caps pos enforces (CMP-5); part of the definition, so a change makes a
  // new version and a new snapshot like any other edit.
  promotions::Budget budget;
};

// Number of Unicode code points in valid UTF-8 `text` (proto3 strings are
// validated as UTF-8 by the parser), so limits count what people see as
// characters, not bytes.
int CountChars(absl::string_view text);

// The campaign as the rule engine sees it.
promotions::Campaign ToEngineCampaign(const Campaign& campaign);

// The path of the Campaign resource field that an engine validation path
// names: the engine keeps start and end inside `schedule`, the resource at
// its top level; everything else is named alike.
std::string ResourceFieldPath(absl::string_view engine_path);

// Validates and normalises a definition in place: trims the name, checks
// lengths, priority and start/end, then the whole definition with the rule
// engine's validator. Every violation is reported (InvalidArgument naming
// the first, see promotions::ViolationsToStatus), with resource field paths
// prefixed by `field_prefix` (e.g. "campaign."). An empty rule list is
// accepted unless `require_rules` (an ACTIVE campaign needs a rule).
absl::Status ValidateDefinition(Campaign& campaign, bool require_rules,
                                absl::string_view field_prefix);

// Validates and normalises a campaign about to be created, in place, and
// forces the state to DRAFT (a campaign is activated by a later, explicit
// step).
absl::Status PrepareNewCampaign(Campaign& campaign, absl::string_view field_prefix);

// Validates an edit of `current` into `edited` (already holding the new
// values): a FINISHED campaign is final; an ACTIVE one must keep a rule.
absl::Status CheckEdit(const Campaign& current, Campaign& edited, absl::string_view field_prefix);

// Whether moving from `from` to `to` changes anything: false when already
// there (transitions are idempotent), true for DRAFT->ACTIVE,
// ACTIVE<->PAUSED, ACTIVE/PAUSED->FINISHED; FAILED_PRECONDITION naming the
// state otherwise.
absl::StatusOr<bool> CheckTransition(CampaignState from, CampaignState to);

// Checks a campaign about to become ACTIVE: a valid definition with at
// least one rule. FAILED_PRECONDITION naming the first resource field at
// fault (fix the campaign, then activate).
absl::Status CheckActivation(const Campaign& campaign);

const char* StateName(CampaignState state);

}  // namespace loyalty::campaigns
