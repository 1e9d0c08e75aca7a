#pragma once

// Finishes confirmations and refunds that a crash or a till that gave up
// left half done, as a retry from the till would.

#include <stop_token>

#include "absl/time/time.h"
#include "services/pos/api/ledger_client.h"
#include "services/pos/domain/receipt_engine.h"

namespace loyalty::pos {

struct RecoveryOptions {
  absl::Duration interval = absl::Seconds(10);
  absl::Duration stalled_after = absl::Seconds(30);  // longer than any call
  int batch = 100;
};

class StalledWorkRecovery final {
 public:
  StalledWorkRecovery(ReceiptEngine& engine, ReceiptRepository& repository, CardsStubs& cards,
                      RecoveryOptions options)
      : engine_(engine), repository_(repository), cards_(cards), options_(options) {}

  // One pass; returns how many items were finished.
  int RunOnce();
  void Run(std::stop_token stop);

 private:
  ReceiptEngine& engine_;
  ReceiptRepository& repository_;
  CardsStubs& cards_;
  RecoveryOptions options_;
};

}  // namespace loyalty::pos
