#pragma once

// Proto <-> domain mapping of the cards contracts. No validation here
// beyond what the mapping itself needs: the domain validates.

#include <optional>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/cards/v1/ledger_service.pb.h"
#include "loyalty/cards/v1/points_service.pb.h"
#include "services/cards/domain/card.h"
#include "services/cards/domain/ledger.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/points_reader.h"

namespace loyalty::cards {

google::protobuf::Timestamp ToProto(absl::Time time);
// Unset (absent) timestamps map to nullopt.
std::optional<absl::Time> FromProto(bool present, const google::protobuf::Timestamp& time);

v1::CardStatus ToProto(CardStatus status);
// kUnspecified (and unknown numbers) map to nullopt.
std::optional<CardStatus> FromProto(v1::CardStatus status);
v1::IssueForm ToProto(IssueForm form);
IssueForm FromProto(v1::IssueForm form);  // unspecified: VIRTUAL
void ToProto(const StatusChange& change, v1::CardStatusChange& out);
CardBatchInput FromProto(const v1::IssueCardBatchRequest& request);
void ToProto(const Balance& balance, v1::Balance& out);
void ToProto(const Card& card, v1::Card& out);

IssueCardInput FromProto(const v1::IssueCardRequest& request);

// Unknown enum numbers become kUnspecified, which validation refuses.
TransferKind FromProto(v1::TransferKind kind);
TransferSpec FromProto(const v1::TransferSpec& spec);
void ToProto(const TransferResult& result, v1::TransferResult& out);
void ToProto(const CardOperation& operation, v1::CardOperation& out);
void ToProto(const ExpiringPoints& points, v1::ExpiringPoints& out);
void ToProto(const PartnerSettlement& settlement, v1::PartnerSettlement& out);
v1::TransferKind ToProto(TransferKind kind);

v1::HoldState ToProto(HoldState state);
void ToProto(const Hold& hold, v1::Hold& out);
HoldRequest FromProto(const v1::HoldPointsRequest& request);

}  // namespace loyalty::cards
