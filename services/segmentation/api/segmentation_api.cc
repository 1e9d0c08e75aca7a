#include "services/segmentation/api/segmentation_api.h"

#include <vector>

#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"

namespace loyalty::segmentation {
namespace {

constexpr size_t kMaxRequestIdBytes = 128;

void SegmentToProto(const Segment& segment, v1::Segment* out) {
  out->set_segment_id(segment.segment_id);
  out->set_name(segment.name);
  out->set_size(segment.size);
  rpc::SetTimestamp(segment.create_time, out->mutable_create_time());
}

}  // namespace

grpc::Status SegmentationApi::CreateSegment(grpc::ServerContext* context,
                                            const v1::CreateSegmentRequest* request,
                                            v1::Segment* response) {
  return rpc::HandleProgramCall(
      context, "CreateSegment", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > kMaxRequestIdBytes) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        if (!request->has_segment()) return InvalidField("segment", "is required");
        Segment segment{.name = request->segment().name()};
        RETURN_IF_ERROR(PrepareNewSegment(segment, "segment."));
        ASSIGN_OR_RETURN(Segment created,
                         store_.CreateSegment(call.program_id, segment, request->request_id()));
        SegmentToProto(created, response);
        return absl::OkStatus();
      });
}

grpc::Status SegmentationApi::GetSegment(grpc::ServerContext* context,
                                         const v1::GetSegmentRequest* request,
                                         v1::Segment* response) {
  return rpc::HandleProgramCall(
      context, "GetSegment", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(Segment segment,
                         store_.GetSegment(call.program_id, request->segment_id()));
        SegmentToProto(segment, response);
        return absl::OkStatus();
      });
}

grpc::Status SegmentationApi::AddSegmentMembers(grpc::ServerContext* context,
                                                const v1::AddSegmentMembersRequest* request,
                                                v1::Segment* response) {
  return rpc::HandleProgramCall(
      context, "AddSegmentMembers", [&](const rpc::CallContext& call) -> absl::Status {
        if (!IsUuid(request->segment_id())) {
          return InvalidField("segment_id", "not a UUID");
        }
        std::vector<std::string> ids(request->client_ids().begin(), request->client_ids().end());
        ASSIGN_OR_RETURN(MemberBatch batch, PrepareMemberBatch(ids));
        ASSIGN_OR_RETURN(Segment segment,
                         store_.AddSegmentMembers(call.program_id, request->segment_id(), batch));
        SegmentToProto(segment, response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::segmentation
