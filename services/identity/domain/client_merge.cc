#include "services/identity/domain/client_merge.h"

namespace loyalty::identity {

std::vector<std::string> FillMissingFields(ClientProfile& survivor,
                                           const ClientProfile& duplicate,
                                           absl::string_view survivor_id) {
  std::vector<std::string> filled;
  auto fill_text = [&](const char* path, std::string& mine, const std::string& theirs) {
    if (mine.empty() && !theirs.empty()) {
      mine = theirs;
      filled.emplace_back(path);
    }
  };
  fill_text("last_name", survivor.last_name, duplicate.last_name);
  fill_text("first_name", survivor.first_name, duplicate.first_name);
  fill_text("middle_name", survivor.middle_name, duplicate.middle_name);
  fill_text("phone", survivor.phone, duplicate.phone);
  fill_text("email", survivor.email, duplicate.email);
  if (!survivor.birth_date && duplicate.birth_date) {
    survivor.birth_date = duplicate.birth_date;
    filled.emplace_back("birth_date");
  }
  if (survivor.gender == Gender::kUnspecified && duplicate.gender != Gender::kUnspecified) {
    survivor.gender = duplicate.gender;
    filled.emplace_back("gender");
  }
  fill_text("city", survivor.city, duplicate.city);
  fill_text("car_number", survivor.car_number, duplicate.car_number);
  fill_text("extra_key1", survivor.extra_key1, duplicate.extra_key1);
  fill_text("extra_key2", survivor.extra_key2, duplicate.extra_key2);
  fill_text("extra_key3", survivor.extra_key3, duplicate.extra_key3);
  fill_text("extra_key4", survivor.extra_key4, duplicate.extra_key4);
  fill_text("extra_key5", survivor.extra_key5, duplicate.extra_key5);
  fill_text("extra_key6", survivor.extra_key6, duplicate.extra_key6);
  fill_text("external_id", survivor.external_id, duplicate.external_id);
  fill_text("referral_code", survivor.referral_code, duplicate.referral_code);
  if (duplicate.referrer_client_id != survivor_id) {
    fill_text("referrer_client_id", survivor.referrer_client_id, duplicate.referrer_client_id);
  }
  if (survivor.social_profiles.empty() && !duplicate.social_profiles.empty()) {
    survivor.social_profiles = duplicate.social_profiles;
    filled.emplace_back("social_profiles");
  }
  return filled;
}

}  // namespace loyalty::identity
