#pragma once

// The Ledger port over gRPC to `cards`, carrying the caller's context.

#include <memory>

#include "libs/rpc/call_context.h"
#include "loyalty/cards/v1/cards_service.grpc.pb.h"
#include "loyalty/cards/v1/ledger_service.grpc.pb.h"
#include "services/pos/domain/receipt.h"

namespace loyalty::pos {

struct CardsStubs {
  std::unique_ptr<cards::v1::CardsService::Stub> cards;
  std::unique_ptr<cards::v1::LedgerService::Stub> ledger;
  absl::Duration timeout = absl::Seconds(5);
};

// One per incoming call: cheap, holds the stubs by reference.
class GrpcLedger final : public Ledger {
 public:
  GrpcLedger(CardsStubs& stubs, const rpc::CallContext& call) : stubs_(stubs), call_(call) {}

  absl::StatusOr<CardInfo> GetCard(const std::string& number) override;
  absl::Status Hold(const std::string& hold_id, const std::string& card_number,
                    int64_t amount) override;
  absl::Status VoidHold(const std::string& hold_id) override;
  absl::StatusOr<CommitResult> Commit(const std::vector<Transfer>& transfers) override;

 private:
  void Prepare(grpc::ClientContext& context) const;

  CardsStubs& stubs_;
  const rpc::CallContext& call_;
};

}  // namespace loyalty::pos
