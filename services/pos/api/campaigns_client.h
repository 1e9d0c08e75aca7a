#pragma once

// pos's side of the campaigns contract: GetActiveCampaigns as the
// CampaignSource of CampaignSnapshots, the ActiveCampaignsChanged events
// that make them refresh, and the metric of failed loads.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/pos/domain/campaign_snapshots.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace loyalty::outbox {
struct StreamEvent;
}  // namespace loyalty::outbox

namespace loyalty::pos {

// Calls `campaigns` as pos itself (role POS) for the program asked about:
// a refresh runs in the background, outside any till's call.
class GrpcCampaignSource final : public CampaignSource {
 public:
  GrpcCampaignSource(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  ~GrpcCampaignSource() override;

  absl::StatusOr<Active> Load(const std::string& program_id) override;

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

// loyalty_pos_campaign_snapshot_load_failures_total, and a log line.
class SnapshotLoadFailures final {
 public:
  explicit SnapshotLoadFailures(prometheus::Registry& registry);
  void Record(const std::string& program_id, const absl::Status& error);

 private:
  prometheus::Counter& failures_;
};

// Announces ActiveCampaignsChanged to `snapshots`; other events of the
// campaigns stream are not pos's business and succeed untouched. A payload
// that does not parse is logged and skipped: redelivering it cannot help.
absl::Status HandleCampaignEvent(CampaignSnapshots& snapshots, const outbox::StreamEvent& event);

}  // namespace loyalty::pos
