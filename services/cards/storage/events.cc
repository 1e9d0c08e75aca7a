#include "services/cards/storage/events.h"

#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"
#include "libs/outbox/outbox.h"
#include "loyalty/cards/v1/events.pb.h"
// The proto <-> domain enum mappings; plain mapping code, no gRPC.
#include "services/cards/api/convert.h"

namespace loyalty::cards {
namespace {

using ::google::protobuf::util::TimeUtil;

void SetTime(absl::Time time, google::protobuf::Timestamp* out) {
  *out = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

const std::string& Stream() {
  static const std::string* const stream = new std::string(outbox::StreamFor("cards"));
  return *stream;
}

static_assert(static_cast<int>(TransferKind::kMerge) == v1::TRANSFER_KIND_MERGE);
static_assert(static_cast<int>(TransferKind::kPoolLeave) == v1::TRANSFER_KIND_POOL_LEAVE);
static_assert(static_cast<int>(MasterAccountChangeKind::kDissolved) ==
              v1::MASTER_ACCOUNT_CHANGE_DISSOLVED);

}  // namespace

void AppendCardIssued(pg::Tx& tx, absl::string_view program_id, const Card& card) {
  v1::CardIssued event;
  event.set_card_number(card.number);
  event.set_barcode(card.barcode);
  event.set_client_id(card.client_id);
  event.set_account_id(card.account_id);
  event.set_status(ToProto(card.status));
  SetTime(card.create_time, event.mutable_create_time());
  outbox::Append(tx, Stream(), program_id, event);
}

void AppendCardBatchIssued(pg::Tx& tx, absl::string_view program_id, const CardBatchInput& batch,
                           absl::Time create_time) {
  v1::CardBatchIssued event;
  event.set_batch_id(batch.request_id);
  event.set_count(batch.count);
  event.set_issue_form(ToProto(batch.issue_form));
  event.set_store_id(batch.store_id);
  SetTime(create_time, event.mutable_create_time());
  outbox::Append(tx, Stream(), program_id, event);
}

void AppendCardStatusChanged(pg::Tx& tx, absl::string_view program_id, const Card& card,
                             CardStatus from, absl::string_view actor) {
  v1::CardStatusChanged event;
  event.set_card_number(card.number);
  event.set_client_id(card.client_id);
  event.set_from_status(ToProto(from));
  event.set_to_status(ToProto(card.status));
  event.set_reason(card.status_reason);
  event.set_actor(std::string(actor));
  if (card.status_change_time) SetTime(*card.status_change_time, event.mutable_change_time());
  outbox::Append(tx, Stream(), program_id, event);
}

void AppendCardHoldersChanged(pg::Tx& tx, absl::string_view program_id, const Card& card,
                              absl::Time change_time) {
  v1::CardHoldersChanged event;
  event.set_card_number(card.number);
  event.set_client_id(card.client_id);
  for (const std::string& holder : card.holder_client_ids) event.add_holder_client_ids(holder);
  SetTime(change_time, event.mutable_change_time());
  outbox::Append(tx, Stream(), program_id, event);
}

void AppendClientCardsReassigned(pg::Tx& tx, absl::string_view program_id,
                                 absl::string_view from_client_id, absl::string_view to_client_id,
                                 const std::vector<std::string>& owned_card_numbers,
                                 const std::vector<std::string>& held_card_numbers,
                                 absl::Time change_time) {
  v1::ClientCardsReassigned event;
  event.set_from_client_id(std::string(from_client_id));
  event.set_to_client_id(std::string(to_client_id));
  for (const std::string& number : owned_card_numbers) event.add_owned_card_numbers(number);
  for (const std::string& number : held_card_numbers) event.add_held_card_numbers(number);
  SetTime(change_time, event.mutable_change_time());
  outbox::Append(tx, Stream(), program_id, event);
}

void AppendPointsTransferred(pg::Tx& tx, absl::string_view program_id,
                             std::span<const AppliedTransfer> transfers) {
  std::vector<v1::PointsTransferred> events(transfers.size());
  std::vector<const google::protobuf::Message*> messages;
  messages.reserve(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i) {
    const AppliedTransfer& transfer = transfers[i];
    const TransferSpec& spec = transfer.spec;
    v1::PointsTransferred& event = events[i];
    event.set_transfer_id(spec.transfer_id);
    // The domain enum mirrors the proto one value for value.
    event.set_kind(ToProto(spec.kind));
    event.set_card_number(spec.card_number);
    event.set_client_id(transfer.client_id);
    event.set_account_id(transfer.account_id);
    event.set_amount(transfer.result.amount);
    event.set_requested_amount(spec.amount);
    event.set_reference(spec.reference);
    event.set_hold_id(spec.hold_id);
    if (RouteOf(spec.kind).creates_lot) {
      SetTime(transfer.activate_time, event.mutable_activate_time());
      if (spec.expire_time) SetTime(*spec.expire_time, event.mutable_expire_time());
    }
    SetTime(transfer.result.create_time, event.mutable_create_time());
    event.set_balance_after(transfer.balance_after);
    event.set_reason(spec.reason);
    event.set_actor(spec.actor);
    event.set_partner_id(spec.partner_id);
    messages.push_back(&event);
  }
  outbox::AppendAll(tx, Stream(), program_id, messages);
}

void AppendMasterAccountChanged(pg::Tx& tx, absl::string_view program_id,
                                const MasterAccountChange& change) {
  v1::MasterAccountChanged event;
  event.set_master_account_id(change.master_account_id);
  // The domain enum mirrors the proto one value for value.
  event.set_change(static_cast<v1::MasterAccountChange>(change.kind));
  for (const std::string& number : change.card_numbers) event.add_card_numbers(number);
  event.set_points(change.points);
  event.set_leave_rule(change.leave_rule);
  for (const std::string& number : change.member_card_numbers) {
    event.add_member_card_numbers(number);
  }
  event.set_balance_after(change.balance_after);
  event.set_actor(change.actor);
  SetTime(change.change_time, event.mutable_change_time());
  outbox::Append(tx, Stream(), program_id, event);
}

}  // namespace loyalty::cards
