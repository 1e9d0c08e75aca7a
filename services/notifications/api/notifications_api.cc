#include "services/notifications/api/notifications_api.h"

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"

namespace loyalty::notifications {
namespace {

constexpr size_t kMaxRequestIdBytes = 128;

// False for CHANNEL_UNSPECIFIED and values this build does not know.
bool ChannelFromProto(v1::Channel channel, Channel& out) {
  switch (channel) {
    case v1::CHANNEL_SMS:
      out = Channel::kSms;
      return true;
    case v1::CHANNEL_EMAIL:
      out = Channel::kEmail;
      return true;
    case v1::CHANNEL_TELEGRAM:
      out = Channel::kTelegram;
      return true;
    case v1::CHANNEL_PUSH:
      out = Channel::kPush;
      return true;
    default:
      return false;
  }
}

v1::Channel ChannelToProto(Channel channel) {
  switch (channel) {
    case Channel::kSms:
      return v1::CHANNEL_SMS;
    case Channel::kEmail:
      return v1::CHANNEL_EMAIL;
    case Channel::kTelegram:
      return v1::CHANNEL_TELEGRAM;
    case Channel::kPush:
      return v1::CHANNEL_PUSH;
  }
  return v1::CHANNEL_UNSPECIFIED;
}

void TemplateToProto(const Template& t, v1::Template* out) {
  out->set_template_id(t.template_id);
  out->set_name(t.name);
  out->set_channel(ChannelToProto(t.channel));
  out->set_subject(t.subject);
  out->set_body(t.body);
  rpc::SetTimestamp(t.create_time, out->mutable_create_time());
}

}  // namespace

grpc::Status NotificationsApi::CreateTemplate(grpc::ServerContext* context,
                                              const v1::CreateTemplateRequest* request,
                                              v1::Template* response) {
  return rpc::HandleProgramCall(
      context, "CreateTemplate", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > kMaxRequestIdBytes) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        if (!request->has_template_()) return InvalidField("template", "is required");
        const v1::Template& input = request->template_();
        Template t;
        t.name = input.name();
        t.subject = input.subject();
        t.body = input.body();
        bool channel_valid = ChannelFromProto(input.channel(), t.channel);
        RETURN_IF_ERROR(PrepareNewTemplate(t, channel_valid, "template."));
        ASSIGN_OR_RETURN(Template created,
                         store_.CreateTemplate(call.program_id, t, request->request_id()));
        TemplateToProto(created, response);
        return absl::OkStatus();
      });
}

grpc::Status NotificationsApi::GetTemplate(grpc::ServerContext* context,
                                           const v1::GetTemplateRequest* request,
                                           v1::Template* response) {
  return rpc::HandleProgramCall(
      context, "GetTemplate", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Template found,
                         store_.GetTemplate(call.program_id, request->template_id()));
        TemplateToProto(found, response);
        return absl::OkStatus();
      });
}

grpc::Status NotificationsApi::ListTemplates(grpc::ServerContext* context,
                                             const v1::ListTemplatesRequest* request,
                                             v1::ListTemplatesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListTemplates", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(TemplatePage page,
                         store_.ListTemplates(call.program_id, page_size, request->page_token()));
        for (const Template& t : page.templates) TemplateToProto(t, response->add_templates());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::notifications
