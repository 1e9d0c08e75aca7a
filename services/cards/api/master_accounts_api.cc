#include "services/cards/api/master_accounts_api.h"

#include <string>
#include <vector>

#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "services/cards/api/convert.h"

namespace loyalty::cards {

static_assert(static_cast<int>(LeaveRule::kNothing) == v1::LEAVE_RULE_NOTHING);

absl::StatusOr<LeaveRule> LeaveRuleFromProto(v1::LeaveRule rule, absl::string_view field) {
  switch (rule) {
    case v1::LEAVE_RULE_UNSPECIFIED:
    case v1::LEAVE_RULE_PROPORTIONAL:
    case v1::LEAVE_RULE_OWN_REMAINING:
    case v1::LEAVE_RULE_NOTHING:
      return static_cast<LeaveRule>(rule);
    default:
      return InvalidField(field, "unknown rule");
  }
}

void ToProto(const MasterAccountView& view, v1::MasterAccount& out) {
  out.set_master_account_id(view.master_account_id);
  out.set_state(view.dissolved ? v1::MASTER_ACCOUNT_STATE_DISSOLVED
                               : v1::MASTER_ACCOUNT_STATE_ACTIVE);
  out.set_default_leave_rule(static_cast<v1::LeaveRule>(view.default_leave_rule));
  for (const MasterMemberView& member : view.members) {
    v1::MasterAccountMember& m = *out.add_members();
    m.set_card_number(member.card_number);
    *m.mutable_join_time() = ToProto(member.join_time);
    m.set_joined_points(member.joined_points);
    m.set_contribution(member.contribution);
    m.set_share_bp(member.share_bp);
    m.set_proportional_points(member.proportional_points);
    m.set_own_remaining_points(member.own_remaining_points);
  }
  out.set_total_contribution(view.total_contribution);
  ToProto(view.balance, *out.mutable_balance());
  *out.mutable_create_time() = ToProto(view.create_time);
  out.set_replayed(view.replayed);
}

grpc::Status MasterAccountsApi::CreateMasterAccount(grpc::ServerContext* context,
                                                    const v1::CreateMasterAccountRequest* request,
                                                    v1::MasterAccount* response) {
  return rpc::HandleProgramCall(
      context, "CreateMasterAccount", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(LeaveRule rule,
                         LeaveRuleFromProto(request->default_leave_rule(), "default_leave_rule"));
        const std::vector<std::string> numbers(request->card_numbers().begin(),
                                               request->card_numbers().end());
        ASSIGN_OR_RETURN(MasterAccountView view,
                         store_.Create(call.program_id, numbers, rule, request->request_id(),
                                       call.principal_id));
        ToProto(view, *response);
        return absl::OkStatus();
      });
}

grpc::Status MasterAccountsApi::AddMember(grpc::ServerContext* context,
                                          const v1::AddMemberRequest* request,
                                          v1::MasterAccount* response) {
  return rpc::HandleProgramCall(
      context, "AddMember", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(
            MasterAccountView view,
            store_.AddMember(call.program_id, request->master_account_id(), request->card_number(),
                             request->request_id(), call.principal_id));
        ToProto(view, *response);
        return absl::OkStatus();
      });
}

grpc::Status MasterAccountsApi::RemoveMember(grpc::ServerContext* context,
                                             const v1::RemoveMemberRequest* request,
                                             v1::RemoveMemberResponse* response) {
  return rpc::HandleProgramCall(
      context, "RemoveMember", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(LeaveRule rule, LeaveRuleFromProto(request->leave_rule(), "leave_rule"));
        ASSIGN_OR_RETURN(LeaveResult left,
                         store_.RemoveMember(call.program_id, request->master_account_id(),
                                             request->card_number(), rule, request->request_id(),
                                             call.principal_id));
        response->set_card_number(left.card_number);
        response->set_leave_rule(static_cast<v1::LeaveRule>(left.rule));
        response->set_points(left.points);
        response->set_account_id(left.account_id);
        ToProto(left.master, *response->mutable_master_account());
        response->set_replayed(left.replayed);
        return absl::OkStatus();
      });
}

grpc::Status MasterAccountsApi::GetMasterAccount(grpc::ServerContext* context,
                                                 const v1::GetMasterAccountRequest* request,
                                                 v1::MasterAccount* response) {
  return rpc::HandleProgramCall(
      context, "GetMasterAccount", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(MasterAccountView view,
                         store_.Get(call.program_id, request->master_account_id()));
        ToProto(view, *response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
