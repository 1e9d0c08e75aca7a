#pragma once

// gRPC surface of `segmentation`: proto <-> domain, status mapping.

#include "loyalty/segmentation/v1/segmentation_service.grpc.pb.h"
#include "services/segmentation/storage/segment_store.h"

namespace loyalty::segmentation {

class SegmentationApi final : public v1::SegmentationService::Service {
 public:
  explicit SegmentationApi(SegmentStore& store) : store_(store) {}

  grpc::Status CreateSegment(grpc::ServerContext* context,
                             const v1::CreateSegmentRequest* request,
                             v1::Segment* response) override;
  grpc::Status GetSegment(grpc::ServerContext* context, const v1::GetSegmentRequest* request,
                          v1::Segment* response) override;
  grpc::Status AddSegmentMembers(grpc::ServerContext* context,
                                 const v1::AddSegmentMembersRequest* request,
                                 v1::Segment* response) override;

 private:
  SegmentStore& store_;
};

}  // namespace loyalty::segmentation
