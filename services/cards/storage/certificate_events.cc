#include "services/cards/storage/certificate_events.h"

#include <string>

#include "libs/outbox/outbox.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/cards/v1/certificate_events.pb.h"

namespace loyalty::cards {
namespace {

const std::string& Stream() {
  static const std::string* const stream = new std::string(outbox::StreamFor("cards"));
  return *stream;
}

}  // namespace

void AppendCertificateIssued(pg::Tx& tx, absl::string_view program_id,
                             const Certificate& certificate, absl::string_view actor) {
  v1::CertificateIssued event;
  event.set_number(certificate.number);
  event.set_operation_id("issue:" + certificate.number);
  event.set_nominal(certificate.nominal);
  rpc::SetTimestamp(certificate.expire_time, event.mutable_expire_time());
  event.set_sold_store_id(certificate.sold_store_id);
  event.set_batch_id(certificate.batch_id);
  event.set_actor(std::string(actor));
  rpc::SetTimestamp(certificate.create_time, event.mutable_create_time());
  outbox::Append(tx, Stream(), program_id, event);
}

void AppendCertificateOperation(pg::Tx& tx, absl::string_view program_id,
                                const CertificateOperation& operation) {
  // The fields both kinds of event share; amounts are positive in events.
  auto fill = [&](auto& event) {
    event.set_number(operation.number);
    event.set_operation_id(operation.operation_id);
    event.set_amount(operation.amount < 0 ? -operation.amount : operation.amount);
    event.set_balance_after(operation.balance_after);
    event.set_store_id(operation.store_id);
    event.set_actor(operation.actor);
    rpc::SetTimestamp(operation.create_time, event.mutable_create_time());
  };
  if (operation.kind == CertificateOperationKind::kRedemption) {
    v1::CertificateRedeemed event;
    fill(event);
    event.set_hold_id(operation.hold_id);
    event.set_reference(operation.reference);
    outbox::Append(tx, Stream(), program_id, event);
    return;
  }
  v1::CertificateRefunded event;
  fill(event);
  event.set_redemption_id(operation.refund_of);
  event.set_reason(operation.reason);
  outbox::Append(tx, Stream(), program_id, event);
}

}  // namespace loyalty::cards
