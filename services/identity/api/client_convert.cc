#include "services/identity/api/client_convert.h"

#include "absl/strings/ascii.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/domain/client_fields.h"

namespace loyalty::identity {
namespace {

Gender GenderFromProto(v1::Gender gender) {
  switch (gender) {
    case v1::GENDER_FEMALE:
      return Gender::kFemale;
    case v1::GENDER_MALE:
      return Gender::kMale;
    default:
      return Gender::kUnspecified;
  }
}

v1::Gender GenderToProto(Gender gender) {
  switch (gender) {
    case Gender::kFemale:
      return v1::GENDER_FEMALE;
    case Gender::kMale:
      return v1::GENDER_MALE;
    case Gender::kUnspecified:
      break;
  }
  return v1::GENDER_UNSPECIFIED;
}

Device DeviceFromProto(v1::Device device) {
  switch (device) {
    case v1::DEVICE_IOS:
      return Device::kIos;
    case v1::DEVICE_ANDROID:
      return Device::kAndroid;
    case v1::DEVICE_WEB:
      return Device::kWeb;
    default:
      return Device::kUnspecified;
  }
}

v1::Device DeviceToProto(Device device) {
  switch (device) {
    case Device::kIos:
      return v1::DEVICE_IOS;
    case Device::kAndroid:
      return v1::DEVICE_ANDROID;
    case Device::kWeb:
      return v1::DEVICE_WEB;
    case Device::kUnspecified:
      break;
  }
  return v1::DEVICE_UNSPECIFIED;
}

}  // namespace

ClientProfile ProfileFromProto(const v1::Client& client) {
  ClientProfile profile;
  profile.last_name = client.last_name();
  profile.first_name = client.first_name();
  profile.middle_name = client.middle_name();
  profile.phone = client.phone();
  profile.email = client.email();
  if (client.has_birth_date()) {
    profile.birth_date = BirthDate{client.birth_date().year(), client.birth_date().month(),
                                   client.birth_date().day()};
  }
  profile.gender = GenderFromProto(client.gender());
  profile.marketing_consent = client.marketing_consent();
  profile.city = client.city();
  profile.car_number = client.car_number();
  profile.extra_key1 = client.extra_key1();
  profile.extra_key2 = client.extra_key2();
  profile.extra_key3 = client.extra_key3();
  profile.extra_key4 = client.extra_key4();
  profile.extra_key5 = client.extra_key5();
  profile.extra_key6 = client.extra_key6();
  profile.external_id = client.external_id();
  profile.referral_code = client.referral_code();
  profile.referrer_client_id = client.referrer_client_id();
  profile.utm_source = client.utm_source();
  profile.utm_medium = client.utm_medium();
  profile.utm_campaign = client.utm_campaign();
  profile.utm_content = client.utm_content();
  profile.utm_term = client.utm_term();
  profile.device = DeviceFromProto(client.device());
  profile.issuance_form = client.issuance_form();
  profile.registration_store_id = client.registration_store_id();
  for (const v1::SocialProfile& link : client.social_profiles()) {
    profile.social_profiles.push_back(SocialProfile{link.network(), link.url()});
  }
  return profile;
}

void ClientToProto(const Client& client, v1::Client* out) {
  const ClientProfile& profile = client.profile;
  out->set_client_id(client.client_id);
  out->set_last_name(profile.last_name);
  out->set_first_name(profile.first_name);
  out->set_middle_name(profile.middle_name);
  out->set_phone(profile.phone);
  out->set_email(profile.email);
  if (profile.birth_date) {
    out->mutable_birth_date()->set_year(profile.birth_date->year);
    out->mutable_birth_date()->set_month(profile.birth_date->month);
    out->mutable_birth_date()->set_day(profile.birth_date->day);
  }
  out->set_gender(GenderToProto(profile.gender));
  out->set_marketing_consent(profile.marketing_consent);
  rpc::SetTimestamp(client.create_time, out->mutable_create_time());
  rpc::SetTimestamp(client.update_time, out->mutable_update_time());
  out->set_phone_verified(client.phone_verified);
  out->set_email_verified(client.email_verified);
  out->set_city(profile.city);
  out->set_car_number(profile.car_number);
  out->set_extra_key1(profile.extra_key1);
  out->set_extra_key2(profile.extra_key2);
  out->set_extra_key3(profile.extra_key3);
  out->set_extra_key4(profile.extra_key4);
  out->set_extra_key5(profile.extra_key5);
  out->set_extra_key6(profile.extra_key6);
  out->set_external_id(profile.external_id);
  out->set_referral_code(profile.referral_code);
  out->set_referrer_client_id(profile.referrer_client_id);
  out->set_utm_source(profile.utm_source);
  out->set_utm_medium(profile.utm_medium);
  out->set_utm_campaign(profile.utm_campaign);
  out->set_utm_content(profile.utm_content);
  out->set_utm_term(profile.utm_term);
  out->set_device(DeviceToProto(profile.device));
  out->set_issuance_form(profile.issuance_form);
  out->set_registration_store_id(profile.registration_store_id);
  for (const SocialProfile& link : profile.social_profiles) {
    v1::SocialProfile* added = out->add_social_profiles();
    added->set_network(link.network);
    added->set_url(link.url);
  }
  out->set_etag(EtagOfVersion(client.version));
  out->set_status(client.merged_into_client_id.empty() ? v1::CLIENT_STATUS_ACTIVE
                                                       : v1::CLIENT_STATUS_MERGED);
  out->set_merged_into_client_id(client.merged_into_client_id);
}

absl::StatusOr<std::string> RequireClientId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return InvalidField(field, "required");
  if (!IsUuid(id)) return InvalidField(field, "must be a UUID");
  return absl::AsciiStrToLower(id);
}

}  // namespace loyalty::identity
