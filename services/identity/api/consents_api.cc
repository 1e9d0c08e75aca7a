#include "services/identity/api/consents_api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/log.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/identity/api/audit_actor.h"
#include "services/identity/domain/api_key.h"

namespace loyalty::identity {
namespace {

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.size() > 128) return InvalidField("request_id", "longer than 128 bytes");
  return absl::OkStatus();
}


void ConsentsToProto(const std::string& client_id, const ClientConsents& consents,
                     v1::ClientConsents* out) {
  out->set_client_id(client_id);
  for (const auto& [kind, record] : consents.current) RecordToProto(record, out->add_current());
  for (const ConsentRecord& record : consents.records) RecordToProto(record, out->add_history());
  out->set_next_page_token(consents.next_page_token);
}

// Proto -> domain with the range checks an open proto3 enum needs. The
// fingerprint is of the request as sent (no defaults filled in), so that a
// retry matches it.
absl::Status ChangesFromProto(const v1::RecordConsentsRequest& request, absl::Time now,
                              std::vector<ConsentChange>& changes, std::string& fingerprint) {
  for (int i = 0; i < request.changes_size(); ++i) {
    const v1::ConsentChange& input = request.changes(i);
    auto field = [&](absl::string_view name) { return absl::StrCat("changes[", i, "].", name); };
    if (input.kind() <= 0 || input.kind() > kMaxConsentKind) {
      return InvalidField(field("kind"), "a consent kind is required");
    }
    if (input.source() <= 0 || input.source() > kMaxConsentSource) {
      return InvalidField(field("source"), "a consent source is required");
    }
    ConsentChange change{.kind = static_cast<ConsentKind>(input.kind()),
                         .given = input.given(),
                         .source = static_cast<ConsentSource>(input.source()),
                         .text_version = input.text_version(),
                         .consent_time = now};
    if (input.has_consent_time()) {
      ASSIGN_OR_RETURN(change.consent_time,
                       rpc::TimeFromProto(input.consent_time(), field("consent_time")));
    }
    absl::StrAppend(&fingerprint, input.kind(), "|", input.given(), "|", input.source(), "|",
                    input.text_version().size(), ":", input.text_version(), "|",
                    input.has_consent_time() ? absl::ToUnixMicros(change.consent_time) : -1,
                    ";");
    changes.push_back(std::move(change));
  }
  return ValidateConsentChanges(changes, now);
}

void VerificationToProto(const Verification& verification, absl::Time now,
                         v1::Verification* out) {
  out->set_verification_id(verification.verification_id);
  out->set_client_id(verification.client_id);
  out->set_channel(static_cast<v1::VerificationChannel>(verification.channel));
  out->set_contact(verification.contact);
  out->set_state(static_cast<v1::VerificationState>(StateAt(verification, now)));
  out->set_attempts_left(AttemptsLeft(verification));
  rpc::SetTimestamp(verification.create_time, out->mutable_create_time());
  rpc::SetTimestamp(verification.expire_time, out->mutable_expire_time());
  if (verification.verify_time) {
    rpc::SetTimestamp(*verification.verify_time, out->mutable_verify_time());
  }
}

OutgoingMessage CodeMessage(const Verification& verification, const std::string& code,
                            absl::Duration lifetime) {
  OutgoingMessage message;
  message.channel = verification.channel;
  message.recipient = verification.contact;
  if (verification.channel == VerificationChannel::kEmail) message.subject = "Verification code";
  const std::string validity = lifetime >= absl::Minutes(1)
                                   ? absl::StrCat(absl::ToInt64Minutes(lifetime), " minutes")
                                   : absl::StrCat(absl::ToInt64Seconds(lifetime), " seconds");
  message.text = absl::StrCat("Your verification code: ", code, ". It is valid for ", validity,
                              ". Do not tell it to anyone.");
  // The verification id is new for every code: a retried send of this
  // message is not delivered twice, a new code always is.
  message.idempotency_key = absl::StrCat("verification-", verification.verification_id);
  return message;
}

}  // namespace

void RecordToProto(const ConsentRecord& record, v1::ConsentRecord* out) {
  out->set_record_id(record.record_id);
  out->set_kind(static_cast<v1::ConsentKind>(record.change.kind));
  out->set_given(record.change.given);
  out->set_source(static_cast<v1::ConsentSource>(record.change.source));
  out->set_text_version(record.change.text_version);
  rpc::SetTimestamp(record.change.consent_time, out->mutable_consent_time());
  rpc::SetTimestamp(record.record_time, out->mutable_record_time());
  out->set_recorded_by_principal_id(record.recorded_by.principal_id);
  out->set_recorded_by_role(record.recorded_by.role);
}

grpc::Status ConsentsApi::RecordConsents(grpc::ServerContext* context,
                                         const v1::RecordConsentsRequest* request,
                                         v1::ClientConsents* response) {
  return rpc::HandleProgramCall(
      context, "RecordConsents", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
        if (!IsUuid(request->client_id())) return InvalidField("client_id", "not a UUID");
        std::vector<ConsentChange> changes;
        std::string fingerprint;
        RETURN_IF_ERROR(ChangesFromProto(*request, clock_(), changes, fingerprint));
        ASSIGN_OR_RETURN(ClientConsents consents,
                         store_.RecordConsents(call.program_id, request->client_id(), changes,
                                               AuditActorOf(call), request->request_id(),
                                               HashApiKeySecret(fingerprint)));
        ConsentsToProto(request->client_id(), consents, response);
        return absl::OkStatus();
      });
}

grpc::Status ConsentsApi::GetConsents(grpc::ServerContext* context,
                                      const v1::GetConsentsRequest* request,
                                      v1::ClientConsents* response) {
  return rpc::HandleProgramCall(
      context, "GetConsents", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(ClientConsents consents,
                         store_.GetConsents(call.program_id, request->client_id(), page_size,
                                            request->page_token()));
        ConsentsToProto(request->client_id(), consents, response);
        return absl::OkStatus();
      });
}

grpc::Status VerificationsApi::StartVerification(grpc::ServerContext* context,
                                                 const v1::StartVerificationRequest* request,
                                                 v1::Verification* response) {
  return rpc::HandleProgramCall(
      context, "StartVerification", [&](const rpc::CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
        if (!IsUuid(request->client_id())) return InvalidField("client_id", "not a UUID");
        if (request->channel() != v1::VERIFICATION_CHANNEL_PHONE &&
            request->channel() != v1::VERIFICATION_CHANNEL_EMAIL) {
          return InvalidField("channel", "PHONE or EMAIL is required");
        }
        auto channel = static_cast<VerificationChannel>(request->channel());
        const absl::Time now = clock_();
        ASSIGN_OR_RETURN(VerificationTarget target,
                         store_.PrepareStart(call.program_id, request->client_id(), channel,
                                             request->request_id(), now));
        // A request id is the caller's: a replay for another client or
        // channel must not show that verification (nor its contact).
        auto answer_replay = [&](const Verification& existing) -> absl::Status {
          if (existing.client_id != absl::AsciiStrToLower(request->client_id()) ||
              existing.channel != channel) {
            return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                              "already used for another verification");
          }
          VerificationToProto(existing, now, response);
          return absl::OkStatus();
        };
        if (target.existing) return answer_replay(*target.existing);
        if (target.contact.empty()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "channel",
                            channel == VerificationChannel::kPhone ? "the client has no phone"
                                                                   : "the client has no e-mail");
        }
        // Answered early from what was read; Insert checks again under a
        // lock of the client.
        RETURN_IF_ERROR(CheckResendAllowed(target.recent_sends, now, limits_));

        Verification verification;
        verification.verification_id = NewUuid();
        verification.client_id = request->client_id();
        verification.channel = channel;
        verification.contact = target.contact;
        verification.create_time = now;
        verification.expire_time = now + limits_.code_lifetime;
        verification.max_attempts = limits_.max_attempts;
        const std::string code = NewVerificationCode();
        verification.code_hash =
            HashVerificationCode(code_key_, verification.verification_id, code);
        // Stored before it is sent, so that two concurrent starts cannot
        // both send past the limits; a concurrent twin with the same
        // request id stored first: nothing to send.
        ASSIGN_OR_RETURN(Verification stored,
                         store_.Insert(call.program_id, verification, request->request_id(),
                                       limits_, AuditActorOf(call)));
        if (stored.verification_id != verification.verification_id) {
          return answer_replay(stored);
        }
        if (absl::Status sent =
                sender_.Send(call, CodeMessage(verification, code, limits_.code_lifetime));
            !sent.ok()) {
          // A code that could not be sent must not count against the
          // resend limits (nor lock the client out for a minute).
          if (absl::Status abandoned =
                  store_.Abandon(call.program_id, stored, AuditActorOf(call));
              !abandoned.ok()) {
            log::Warn(absl::StrCat("verification ", stored.verification_id,
                                   " not abandoned after a failed send: ",
                                   abandoned.ToString()));
          }
          return sent;
        }
        VerificationToProto(stored, now, response);
        return absl::OkStatus();
      });
}

grpc::Status VerificationsApi::ConfirmVerification(grpc::ServerContext* context,
                                                   const v1::ConfirmVerificationRequest* request,
                                                   v1::Verification* response) {
  return rpc::HandleProgramCall(
      context, "ConfirmVerification", [&](const rpc::CallContext& call) -> absl::Status {
        if (!IsUuid(request->client_id())) return InvalidField("client_id", "not a UUID");
        if (!IsUuid(request->verification_id())) {
          return InvalidField("verification_id", "not a UUID");
        }
        RETURN_IF_ERROR(ValidateCodeSyntax(request->code()));
        const absl::Time now = clock_();
        absl::Status answer;
        ASSIGN_OR_RETURN(
            Verification verification,
            store_.Confirm(call.program_id, request->client_id(), request->verification_id(),
                           request->code(), code_key_, now, answer, AuditActorOf(call)));
        RETURN_IF_ERROR(answer);
        VerificationToProto(verification, now, response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::identity
