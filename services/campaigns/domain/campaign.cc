#include "services/campaigns/domain/campaign.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {

int CountChars(absl::string_view text) {
  int count = 0;
  for (char c : text) {
    // Every code point has exactly one byte that is not a continuation byte.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::Status PrepareNewCampaign(Campaign& campaign, absl::string_view field_prefix) {
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
  if (campaign.start_time && campaign.end_time &&
      *campaign.end_time <= *campaign.start_time) {
    return InvalidField(absl::StrCat(field_prefix, "end_time"), "must follow start_time");
  }
  campaign.state = CampaignState::kDraft;
  return absl::OkStatus();
}

}  // namespace loyalty::campaigns
