#pragma once

// pos's side of `identity`: the program's time zone for the campaign
// snapshots, and the client's profile for the member facts campaigns read.
// pos calls as itself (role POS), like it calls `campaigns`: a snapshot
// refresh runs outside any till's call.

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "services/pos/domain/campaign_actions.h"
#include "services/pos/domain/campaign_snapshots.h"
#include "services/pos/domain/member_facts.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace loyalty::identity::v1 {
class Client;
class ClientAttributes;
class ListClientTagsResponse;
}  // namespace loyalty::identity::v1

namespace loyalty::pos {

// AccessService.GetProgram's `time_zone`. An empty or unknown zone is
// logged here (the snapshots then use UTC); a failed call is an error.
class GrpcProgramZones final : public ProgramZoneSource {
 public:
  GrpcProgramZones(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~GrpcProgramZones() override;

  absl::StatusOr<std::string> TimeZoneName(const std::string& program_id) override;

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

// GetClient (birthday), TagsService.ListClientTags and
// AttributesService.GetClientAttributes.
class GrpcMemberDirectory final : public MemberDirectory {
 public:
  GrpcMemberDirectory(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~GrpcMemberDirectory() override;

  absl::StatusOr<MemberProfile> GetProfile(const std::string& program_id,
                                           const std::string& client_id) override;

 private:
  struct Stubs;
  std::unique_ptr<Stubs> stubs_;
  absl::Duration timeout_;
};

// The member side of post-confirm campaign actions: TagsService.AssignTag
// (a tag named by name is looked up with ListTags first) and
// AttributesService.SetClientAttributes (the attribute's type, from
// GetAttribute, says how to read the value; source CAMPAIGN).
//
// These calls act for the campaign a marketer configured, not for a till:
// pos makes them as the platform (role SYSTEM, principal
// "pos:campaign-actions"), so identity lets them write the attributes
// operators may edit, which a POS key may not. They go to identity
// directly over gRPC; the gateway's access rules (which keep POS keys
// away from tags and attributes) are not involved and stay as they are.
class GrpcMemberActions final : public MemberActions {
 public:
  GrpcMemberActions(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~GrpcMemberActions() override;

  absl::Status AddTag(const std::string& program_id, const std::string& client_id,
                      const std::string& tag) override;
  absl::Status SetAttribute(const std::string& program_id, const std::string& client_id,
                            const std::string& key, const std::string& value,
                            const std::string& request_id) override;

 private:
  absl::StatusOr<std::string> TagId(const std::string& program_id, const std::string& tag);

  struct Stubs;
  std::unique_ptr<Stubs> stubs_;
  absl::Duration timeout_;
};

// identity's answers as a MemberProfile: tags by name and id, attribute
// values as text (numbers and dates as identity writes them, booleans
// "true" / "false", a list one pair per value), the birth date without a
// year check (the engine ignores the year).
MemberProfile ProfileFromIdentity(const identity::v1::Client& client,
                                  const identity::v1::ListClientTagsResponse& tags,
                                  const identity::v1::ClientAttributes& attributes);

}  // namespace loyalty::pos
