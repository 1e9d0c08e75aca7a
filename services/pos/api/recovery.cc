#include "services/pos/api/recovery.h"

#include "absl/time/clock.h"
#include "libs/common/log.h"
#include "libs/common/periodic.h"
#include "libs/rpc/call_context.h"

namespace loyalty::pos {
namespace {

const char* KindName(StalledWork::Kind kind) {
  switch (kind) {
    case StalledWork::Kind::kConfirm:
      return "confirm";
    case StalledWork::Kind::kRefund:
      return "refund";
    case StalledWork::Kind::kCertificateRelease:
      return "certificate_release";
  }
  return "unknown";
}

}  // namespace

int StalledWorkRecovery::RunOnce() {
  absl::StatusOr<std::vector<StalledWork>> stalled =
      repository_.ListStalled(options_.stalled_after, options_.batch);
  if (!stalled.ok()) {
    log::Warn("cannot list stalled receipts", {{"error", stalled.status().message()}});
    return 0;
  }
  int finished = 0;
  for (const StalledWork& work : *stalled) {
    rpc::CallContext call{.program_id = work.program_id,
                          .role = "ROLE_SYSTEM",
                          .principal_id = "pos-recovery",
                          .trace = TraceParent::NewRoot()};
    GrpcLedger ledger(cards_, call);
    absl::Status status = engine_.Resume(work, ledger);
    if (status.ok()) {
      ++finished;
      log::Info("stalled work finished",
                {{"kind", KindName(work.kind)},
                 {"id", work.id},
                 {"program_id", work.program_id}});
    } else {
      log::Warn("stalled work not finished", {{"id", work.id}, {"error", status.message()}});
    }
  }
  return finished;
}

void StalledWorkRecovery::Run(std::stop_token stop) {
  RunPeriodically(stop, options_.interval, [this] { RunOnce(); });
}

}  // namespace loyalty::pos
