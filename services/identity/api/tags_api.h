#pragma once

#include "loyalty/identity/v1/tags_service.grpc.pb.h"
#include "services/identity/storage/tag_store.h"

namespace loyalty::identity {

// A tag as the API shows it (also in the client view).
void ToProto(const Tag& tag, v1::Tag& out);

// loyalty.identity.v1.TagsService: client tags (CLI-6).
class TagsApi final : public v1::TagsService::Service {
 public:
  explicit TagsApi(TagStore& tags) : tags_(tags) {}

  grpc::Status CreateTag(grpc::ServerContext* context, const v1::CreateTagRequest* request,
                         v1::Tag* response) override;
  grpc::Status GetTag(grpc::ServerContext* context, const v1::GetTagRequest* request,
                      v1::Tag* response) override;
  grpc::Status ListTags(grpc::ServerContext* context, const v1::ListTagsRequest* request,
                        v1::ListTagsResponse* response) override;
  grpc::Status UpdateTag(grpc::ServerContext* context, const v1::UpdateTagRequest* request,
                         v1::Tag* response) override;
  grpc::Status DeleteTag(grpc::ServerContext* context, const v1::DeleteTagRequest* request,
                         v1::DeleteTagResponse* response) override;
  grpc::Status AssignTag(grpc::ServerContext* context, const v1::ChangeTagClientsRequest* request,
                         v1::ChangeTagClientsResponse* response) override;
  grpc::Status RemoveTag(grpc::ServerContext* context, const v1::ChangeTagClientsRequest* request,
                         v1::ChangeTagClientsResponse* response) override;
  grpc::Status ListClientTags(grpc::ServerContext* context,
                              const v1::ListClientTagsRequest* request,
                              v1::ListClientTagsResponse* response) override;
  grpc::Status ListTagClients(grpc::ServerContext* context,
                              const v1::ListTagClientsRequest* request,
                              v1::ListTagClientsResponse* response) override;

 private:
  grpc::Status ChangeClients(grpc::ServerContext* context, absl::string_view method,
                             const v1::ChangeTagClientsRequest& request, bool add,
                             v1::ChangeTagClientsResponse& response);

  TagStore& tags_;
};

}  // namespace loyalty::identity
