#include "services/pos/api/ledger_client.h"

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"
#include "libs/rpc/proto_convert.h"
#include "libs/rpc/status.h"
#include "services/pos/api/peer_status.h"

namespace loyalty::pos {
namespace {

Balance FromProto(const cards::v1::Balance& balance) {
  return Balance{balance.available(), balance.pending(), balance.held()};
}

cards::v1::TransferKind KindToProto(Ledger::Transfer::Kind kind) {
  switch (kind) {
    case Ledger::Transfer::Kind::kAccrual:
      return cards::v1::TRANSFER_KIND_ACCRUAL;
    case Ledger::Transfer::Kind::kRedemption:
      return cards::v1::TRANSFER_KIND_REDEMPTION;
    case Ledger::Transfer::Kind::kAccrualReversal:
      return cards::v1::TRANSFER_KIND_ACCRUAL_REVERSAL;
    case Ledger::Transfer::Kind::kRedemptionReversal:
      return cards::v1::TRANSFER_KIND_REDEMPTION_REVERSAL;
  }
  return cards::v1::TRANSFER_KIND_UNSPECIFIED;
}

}  // namespace

void GrpcLedger::Prepare(grpc::ClientContext& context) const {
  rpc::WriteCallContext(call_, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + stubs_.timeout));
}

absl::StatusOr<CardInfo> GrpcLedger::GetCard(const std::string& number) {
  grpc::ClientContext context;
  Prepare(context);
  cards::v1::GetCardRequest request;
  request.set_number(number);
  cards::v1::Card card;
  absl::Status status = rpc::FromGrpcStatus(stubs_.cards->GetCard(&context, request, &card));
  if (!status.ok()) {
    // An invalid number is, for the till, just a card we do not know.
    if (absl::IsInvalidArgument(status) || absl::IsNotFound(status)) {
      return absl::NotFoundError("card not found");
    }
    return TranslatePeerStatus(status, "ledger", "GetCard");
  }
  return CardInfo{.number = card.number(),
                  .active = card.status() == cards::v1::CARD_STATUS_ACTIVE,
                  .balance = FromProto(card.balance()),
                  .client_id = card.client_id(),
                  .level_id = card.level().level_id(),
                  .active_points = card.balance().active(),
                  .debt = card.balance().debt()};
}

absl::Status GrpcLedger::Hold(const std::string& hold_id, const std::string& card_number,
                              int64_t amount) {
  grpc::ClientContext context;
  Prepare(context);
  cards::v1::HoldPointsRequest request;
  request.set_hold_id(hold_id);
  request.set_card_number(card_number);
  request.set_amount(amount);
  cards::v1::Hold hold;
  absl::Status status = TranslatePeerStatus(
      rpc::FromGrpcStatus(stubs_.ledger->HoldPoints(&context, request, &hold)), "ledger",
      "HoldPoints");
  if (!status.ok()) return status;
  // A replayed id answers with the hold as it is now; only a live hold
  // backs this calculation.
  if (hold.state() != cards::v1::HOLD_STATE_HELD) {
    return absl::FailedPreconditionError("the hold is no longer held");
  }
  return absl::OkStatus();
}

absl::Status GrpcLedger::VoidHold(const std::string& hold_id) {
  grpc::ClientContext context;
  Prepare(context);
  cards::v1::VoidHoldRequest request;
  request.set_hold_id(hold_id);
  cards::v1::Hold hold;
  absl::Status status = rpc::FromGrpcStatus(stubs_.ledger->VoidHold(&context, request, &hold));
  // A hold the ledger never recorded holds nothing: released already.
  if (absl::IsNotFound(status)) return absl::OkStatus();
  return TranslatePeerStatus(status, "ledger", "VoidHold");
}

absl::StatusOr<Ledger::CommitResult> GrpcLedger::Commit(const std::vector<Transfer>& transfers) {
  grpc::ClientContext context;
  Prepare(context);
  cards::v1::CommitTransfersRequest request;
  for (const Transfer& transfer : transfers) {
    auto* spec = request.add_transfers();
    spec->set_transfer_id(transfer.transfer_id);
    spec->set_kind(KindToProto(transfer.kind));
    spec->set_card_number(transfer.card_number);
    spec->set_amount(transfer.amount);
    spec->set_hold_id(transfer.hold_id);
    if (transfer.activate_at)
      rpc::SetTimestamp(*transfer.activate_at, spec->mutable_activate_time());
    if (transfer.expire_at) rpc::SetTimestamp(*transfer.expire_at, spec->mutable_expire_time());
    spec->set_reference(transfer.reference);
    spec->set_partner_id(transfer.partner_id);
    spec->set_negative_floor(transfer.negative_floor);
  }
  cards::v1::CommitTransfersResponse response;
  absl::Status status =
      TranslatePeerStatus(
          rpc::FromGrpcStatus(stubs_.ledger->CommitTransfers(&context, request, &response)),
          "ledger", "CommitTransfers");
  if (!status.ok()) return status;
  CommitResult result;
  for (const auto& moved : response.results()) {
    result.moved.push_back(moved.amount());
    result.into_debt.push_back(moved.amount_into_debt());
  }
  result.balance = FromProto(response.balance());
  return result;
}

}  // namespace loyalty::pos
