#include "services/pos/api/identity_client.h"

#include <utility>

#include "grpcpp/grpcpp.h"
#include "libs/common/log.h"
#include "libs/rpc/call_context.h"
#include "libs/rpc/status.h"
#include "loyalty/identity/v1/access_service.grpc.pb.h"
#include "loyalty/identity/v1/attributes_service.grpc.pb.h"
#include "loyalty/identity/v1/identity_service.grpc.pb.h"
#include "loyalty/identity/v1/tags_service.grpc.pb.h"

namespace loyalty::pos {
namespace {

void Prepare(const std::string& program_id, absl::Duration timeout,
             grpc::ClientContext& context) {
  const rpc::CallContext call{
      .program_id = program_id, .role = "ROLE_POS", .principal_id = "pos:campaign-pricing"};
  rpc::WriteCallContext(call, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// One unary call to identity as pos.
template <typename Stub, typename Request, typename Response>
absl::Status Ask(const std::string& program_id, absl::Duration timeout, Stub& stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                 const Request& request, Response* response) {
  grpc::ClientContext context;
  Prepare(program_id, timeout, context);
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
