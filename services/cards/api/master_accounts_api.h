#pragma once

#include "loyalty/cards/v1/master_accounts_service.grpc.pb.h"
#include "services/cards/storage/master_account_store.h"

namespace loyalty::cards {

// loyalty.cards.v1.MasterAccountsService: shared family points accounts.
class MasterAccountsApi final : public v1::MasterAccountsService::Service {
 public:
  explicit MasterAccountsApi(MasterAccountStore& store) : store_(store) {}

  grpc::Status CreateMasterAccount(grpc::ServerContext* context,
                                   const v1::CreateMasterAccountRequest* request,
                                   v1::MasterAccount* response) override;
  grpc::Status AddMember(grpc::ServerContext* context, const v1::AddMemberRequest* request,
                         v1::MasterAccount* response) override;
  grpc::Status RemoveMember(grpc::ServerContext* context, const v1::RemoveMemberRequest* request,
                            v1::RemoveMemberResponse* response) override;
  grpc::Status GetMasterAccount(grpc::ServerContext* context,
                                const v1::GetMasterAccountRequest* request,
                                v1::MasterAccount* response) override;

 private:
  MasterAccountStore& store_;
};

// Proto mapping, exposed for tests.
void ToProto(const MasterAccountView& view, v1::MasterAccount& out);
// Unknown enum numbers: INVALID_ARGUMENT naming `field`.
absl::StatusOr<LeaveRule> LeaveRuleFromProto(v1::LeaveRule rule, absl::string_view field);

}  // namespace loyalty::cards
