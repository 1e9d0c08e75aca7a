#include "services/pos/api/identity_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "libs/common/log.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/status.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/attributes_service.grpc.pb.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"
#include "loyalty/identity/v1/tags_service.grpc.pb.h"

namespace loyalty::pos {
namespace {

// Who pos is at identity: a till's campaign pricing reads as POS; the
// campaign actions write as the platform (see GrpcMemberActions).
struct Caller {
  const char* role;
  const char* principal_id;
};
constexpr Caller kPricing{"ROLE_POS", "pos:campaign-pricing"};
constexpr Caller kCampaignActions{"ROLE_SYSTEM", "pos:campaign-actions"};

// One unary call to identity as pos.
template <typename Stub, typename Request, typename Response>
absl::Status Ask(const std::string& program_id, absl::Duration timeout, Stub& stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                 const Request& request, Response* response, Caller caller = kPricing) {
  grpc::ClientContext context;
  const rpc::CallContext call{
      .program_id = program_id, .role = caller.role, .principal_id = caller.principal_id};
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return rpc::FromGrpcStatus((stub.*method)(&context, request, response));
}

}  // namespace

struct GrpcProgramZones::Stub {
  std::unique_ptr<identity::v1::AccessService::Stub> access;
};

GrpcProgramZones::GrpcProgramZones(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(std::make_unique<Stub>(Stub{identity::v1::AccessService::NewStub(channel)})),
      timeout_(timeout) {}

GrpcProgramZones::~GrpcProgramZones() = default;

absl::StatusOr<std::string> GrpcProgramZones::TimeZoneName(const std::string& program_id) {
  identity::v1::GetProgramRequest request;
  request.set_program_id(program_id);
  identity::v1::Program program;
  absl::Status status = Ask(program_id, timeout_, *stub_->access,
                            &identity::v1::AccessService::Stub::GetProgram, request, &program);
  if (!status.ok()) {
    log::Warn("reading the program's time zone failed; campaigns use the last known zone or UTC",
              {{"program_id", program_id}, {"error", status.ToString()}});
    return status;
  }
  absl::TimeZone zone;
  if (program.time_zone().empty() || !absl::LoadTimeZone(program.time_zone(), &zone)) {
    log::Warn("the program's time zone is empty or unknown; campaigns use UTC",
              {{"program_id", program_id}, {"time_zone", program.time_zone()}});
  }
  return program.time_zone();
}

struct GrpcMemberDirectory::Stubs {
  std::unique_ptr<identity::v1::IdentityService::Stub> clients;
  std::unique_ptr<identity::v1::TagsService::Stub> tags;
  std::unique_ptr<identity::v1::AttributesService::Stub> attributes;
};

GrpcMemberDirectory::GrpcMemberDirectory(std::shared_ptr<grpc::Channel> channel,
                                         absl::Duration timeout)
    : stubs_(std::make_unique<Stubs>(Stubs{identity::v1::IdentityService::NewStub(channel),
                                           identity::v1::TagsService::NewStub(channel),
                                           identity::v1::AttributesService::NewStub(channel)})),
      timeout_(timeout) {}

GrpcMemberDirectory::~GrpcMemberDirectory() = default;

absl::StatusOr<MemberProfile> GrpcMemberDirectory::GetProfile(const std::string& program_id,
                                                              const std::string& client_id) {
  identity::v1::GetClientRequest client_request;
  client_request.set_client_id(client_id);
  identity::v1::Client client;
  absl::Status status = Ask(program_id, timeout_, *stubs_->clients,
                            &identity::v1::IdentityService::Stub::GetClient, client_request, &client);
  if (!status.ok()) return status;
  identity::v1::ListClientTagsRequest tags_request;
  tags_request.set_client_id(client_id);
  identity::v1::ListClientTagsResponse tags;
  status = Ask(program_id, timeout_, *stubs_->tags, &identity::v1::TagsService::Stub::ListClientTags,
               tags_request, &tags);
  if (!status.ok()) return status;
  identity::v1::GetClientAttributesRequest attributes_request;
  attributes_request.set_client_id(client_id);
  identity::v1::ClientAttributes attributes;
  status = Ask(program_id, timeout_, *stubs_->attributes,
               &identity::v1::AttributesService::Stub::GetClientAttributes, attributes_request,
               &attributes);
  if (!status.ok()) return status;
  return ProfileFromIdentity(client, tags, attributes);
}

struct GrpcMemberActions::Stubs {
  std::unique_ptr<identity::v1::TagsService::Stub> tags;
  std::unique_ptr<identity::v1::AttributesService::Stub> attributes;
};

GrpcMemberActions::GrpcMemberActions(std::shared_ptr<grpc::Channel> channel,
                                     absl::Duration timeout)
    : stubs_(std::make_unique<Stubs>(Stubs{identity::v1::TagsService::NewStub(channel),
                                           identity::v1::AttributesService::NewStub(channel)})),
      timeout_(timeout) {}

GrpcMemberActions::~GrpcMemberActions() = default;

absl::StatusOr<std::string> GrpcMemberActions::TagId(const std::string& program_id,
                                                     const std::string& tag) {
  if (IsUuid(tag)) return absl::AsciiStrToLower(tag);
  // By name, ignoring case, as identity keeps names unique; a program has
  // at most 1000 tags, so this is two pages at most.
  identity::v1::ListTagsRequest request;
  request.set_page_size(500);
  while (true) {
    identity::v1::ListTagsResponse page;
    RETURN_IF_ERROR(Ask(program_id, timeout_, *stubs_->tags,
                        &identity::v1::TagsService::Stub::ListTags, request, &page,
                        kCampaignActions));
    for (const identity::v1::Tag& found : page.tags()) {
      if (absl::EqualsIgnoreCase(found.name(), tag)) return found.tag_id();
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  return absl::NotFoundError(absl::StrCat("no tag '", tag, "' in this program"));
}

absl::Status GrpcMemberActions::AddTag(const std::string& program_id,
                                       const std::string& client_id, const std::string& tag) {
  ASSIGN_OR_RETURN(std::string tag_id, TagId(program_id, tag));
  identity::v1::ChangeTagClientsRequest request;
  request.set_tag_id(tag_id);
  request.add_client_ids(client_id);
  identity::v1::ChangeTagClientsResponse response;
  RETURN_IF_ERROR(Ask(program_id, timeout_, *stubs_->tags,
                      &identity::v1::TagsService::Stub::AssignTag, request, &response,
                      kCampaignActions));
  // A client identity does not know (e.g. erased since) is reported, not
  // failed: no retry will find it.
  if (!response.errors().empty()) {
    return absl::NotFoundError(absl::StrCat("client ", client_id, ": ",
                                            response.errors(0).message()));
  }
  return absl::OkStatus();
}

absl::Status GrpcMemberActions::SetAttribute(const std::string& program_id,
                                             const std::string& client_id, const std::string& key,
                                             const std::string& value,
                                             const std::string& request_id) {
  identity::v1::GetAttributeRequest get;
  get.set_key(key);
  identity::v1::Attribute attribute;
  RETURN_IF_ERROR(Ask(program_id, timeout_, *stubs_->attributes,
                      &identity::v1::AttributesService::Stub::GetAttribute, get, &attribute,
                      kCampaignActions));
  identity::v1::SetClientAttributesRequest request;
  request.set_client_id(client_id);
  request.set_source(identity::v1::ATTRIBUTE_CHANGE_SOURCE_CAMPAIGN);
  request.set_reason("campaign action after a confirmed receipt");
  request.set_request_id(request_id);
  identity::v1::AttributeValue* typed = request.add_values();
  typed->set_key(key);
  switch (attribute.type()) {
    case identity::v1::ATTRIBUTE_TYPE_NUMBER:
      typed->set_number_value(value);
      break;
    case identity::v1::ATTRIBUTE_TYPE_BOOL:
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("attribute '", key, "' is a boolean; '", value, "' is neither true nor false"));
      }
      typed->set_bool_value(value == "true");
      break;
    case identity::v1::ATTRIBUTE_TYPE_DATE:
      typed->set_date_value(value);
      break;
    case identity::v1::ATTRIBUTE_TYPE_ENUM:
      typed->set_enum_value(value);
      break;
    case identity::v1::ATTRIBUTE_TYPE_LIST:
      for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        typed->mutable_list_value()->add_values(std::string(absl::StripAsciiWhitespace(item)));
      }
      break;
    default:
      typed->set_string_value(value);
      break;
  }
  identity::v1::ClientAttributes written;
  return Ask(program_id, timeout_, *stubs_->attributes,
             &identity::v1::AttributesService::Stub::SetClientAttributes, request, &written,
             kCampaignActions);
}

MemberProfile ProfileFromIdentity(const identity::v1::Client& client,
                                  const identity::v1::ListClientTagsResponse& tags,
                                  const identity::v1::ClientAttributes& attributes) {
  MemberProfile profile;
  for (const identity::v1::Tag& tag : tags.tags()) {
    profile.tags.push_back(tag.name());
    profile.tags.push_back(tag.tag_id());
  }
  for (const identity::v1::AttributeValue& value : attributes.values()) {
    auto add = [&](std::string text) { profile.attributes.emplace_back(value.key(), std::move(text)); };
    switch (value.value_case()) {
      case identity::v1::AttributeValue::kStringValue:
        add(value.string_value());
        break;
      case identity::v1::AttributeValue::kNumberValue:
        add(value.number_value());
        break;
      case identity::v1::AttributeValue::kBoolValue:
        add(value.bool_value() ? "true" : "false");
        break;
      case identity::v1::AttributeValue::kDateValue:
        add(value.date_value());
        break;
      case identity::v1::AttributeValue::kEnumValue:
        add(value.enum_value());
        break;
      case identity::v1::AttributeValue::kListValue:
        for (const std::string& item : value.list_value().values()) add(item);
        break;
      case identity::v1::AttributeValue::VALUE_NOT_SET:
        break;
    }
  }
  if (client.has_birth_date() && client.birth_date().month() >= 1 &&
      client.birth_date().day() >= 1) {
    const identity::v1::Date& date = client.birth_date();
    // CivilDay normalises an impossible date (Feb 30) rather than refusing
    // it; identity validated the date on save.
    profile.birthday = absl::CivilDay(date.year(), date.month(), date.day());
  }
  return profile;
}

}  // namespace loyalty::pos
