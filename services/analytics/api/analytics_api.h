#pragma once

// gRPC surface of `analytics`: proto <-> domain, status mapping.

#include <functional>

#include "absl/time/time.h"
#include "loyalty/analytics/v1/analytics_service.grpc.pb.h"
#include "services/analytics/storage/analytics_store.h"

namespace loyalty::analytics {

class AnalyticsApi final : public v1::AnalyticsService::Service {
 public:
  // `now` is the end of a period whose end the caller leaves unset.
  AnalyticsApi(AnalyticsStore& store, std::function<absl::Time()> now)
      : store_(store), now_(std::move(now)) {}

  grpc::Status GetSalesSummary(grpc::ServerContext* context,
                               const v1::GetSalesSummaryRequest* request,
                               v1::SalesSummary* response) override;

 private:
  AnalyticsStore& store_;
  std::function<absl::Time()> now_;
};

}  // namespace loyalty::analytics
