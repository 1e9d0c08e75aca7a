#include "services/cards/api/levels_api.h"

#include "libs/common/log.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/card_view.h"
#include "services/cards/api/level_convert.h"

namespace loyalty::cards {

// --- Level types ---------------------------------------------------------------

grpc::Status LevelsApi::CreateLevelType(grpc::ServerContext* context,
                                        const v1::CreateLevelTypeRequest* request,
                                        v1::LevelType* response) {
  return rpc::HandleProgramCall(
      context, "CreateLevelType", [&](const rpc::CallContext& call) -> absl::Status {
        LevelTypeSpec spec = FromProto(request->level_type());
        RETURN_IF_ERROR(NormalizeLevelTypeSpec(spec, "level_type."));
        RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
        ASSIGN_OR_RETURN(LevelType created, deps_.levels.CreateLevelType(call.program_id, spec,
                                                                         request->request_id()));
        ToProto(created, *response);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::GetLevelType(grpc::ServerContext* context,
                                     const v1::GetLevelTypeRequest* request,
                                     v1::LevelType* response) {
  return rpc::HandleProgramCall(
      context, "GetLevelType", [&](const rpc::CallContext& call) -> absl::Status {
        std::string id = request->level_type_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", id));
        ASSIGN_OR_RETURN(LevelType found, deps_.levels.GetLevelType(call.program_id, id));
        ToProto(found, *response);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::ListLevelTypes(grpc::ServerContext* context,
                                       const v1::ListLevelTypesRequest* request,
                                       v1::ListLevelTypesResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListLevelTypes", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(LevelTypePage page, deps_.levels.ListLevelTypes(call.program_id, page_size,
                                                                         request->page_token(),
                                                                         request->show_archived()));
        for (const LevelType& found : page.level_types) {
          ToProto(found, *response->add_level_types());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::UpdateLevelType(grpc::ServerContext* context,
                                        const v1::UpdateLevelTypeRequest* request,
                                        v1::LevelType* response) {
  return rpc::HandleProgramCall(
      context, "UpdateLevelType", [&](const rpc::CallContext& call) -> absl::Status {
        const v1::LevelType& in = request->level_type();
        std::string id = in.level_type_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type.level_type_id", id));
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("level_type.etag", in.etag()));
        ASSIGN_OR_RETURN(
            LevelType updated,
            deps_.levels.UpdateLevelType(
                call.program_id, id, version, [&](LevelTypeSpec& spec) -> absl::Status {
                  RETURN_IF_ERROR(ApplyMask(in, request->update_mask(), spec));
                  return NormalizeLevelTypeSpec(spec, "level_type.");
                }));
        ToProto(updated, *response);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::ArchiveLevelType(grpc::ServerContext* context,
                                         const v1::ArchiveLevelTypeRequest* request,
                                         v1::LevelType* response) {
  return rpc::HandleProgramCall(
      context, "ArchiveLevelType", [&](const rpc::CallContext& call) -> absl::Status {
        std::string id = request->level_type_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", id));
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("etag", request->etag()));
        ASSIGN_OR_RETURN(LevelType archived,
                         deps_.levels.ArchiveLevelType(call.program_id, id, version));
        ToProto(archived, *response);
        return absl::OkStatus();
      });
}

// --- Levels ----------------------------------------------------------------------

grpc::Status LevelsApi::CreateLevel(grpc::ServerContext* context,
                                    const v1::CreateLevelRequest* request, v1::Level* response) {
  return rpc::HandleProgramCall(
      context, "CreateLevel", [&](const rpc::CallContext& call) -> absl::Status {
        std::string type_id = request->level_type_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", type_id));
        LevelSpec spec = FromProto(request->level());
        RETURN_IF_ERROR(NormalizeLevelSpec(spec, "level."));
        RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
        ASSIGN_OR_RETURN(Level created, deps_.levels.CreateLevel(call.program_id, type_id, spec,
                                                                 request->request_id()));
        ToProto(created, *response);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::GetLevel(grpc::ServerContext* context, const v1::GetLevelRequest* request,
                                 v1::Level* response) {
  return rpc::HandleProgramCall(
      context, "GetLevel", [&](const rpc::CallContext& call) -> absl::Status {
        std::string type_id = request->level_type_id();
        std::string level_id = request->level_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", type_id));
        RETURN_IF_ERROR(NormalizeUuid("level_id", level_id));
        ASSIGN_OR_RETURN(Level found, deps_.levels.GetLevel(call.program_id, type_id, level_id));
        ToProto(found, *response);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::ListLevels(grpc::ServerContext* context,
                                   const v1::ListLevelsRequest* request,
                                   v1::ListLevelsResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListLevels", [&](const rpc::CallContext& call) -> absl::Status {
        std::string type_id = request->level_type_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", type_id));
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(LevelPage page,
                         deps_.levels.ListLevels(call.program_id, type_id, page_size,
                                                 request->page_token(), request->show_archived()));
        for (const Level& found : page.levels) ToProto(found, *response->add_levels());
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::UpdateLevel(grpc::ServerContext* context,
                                    const v1::UpdateLevelRequest* request, v1::Level* response) {
  return rpc::HandleProgramCall(
      context, "UpdateLevel", [&](const rpc::CallContext& call) -> absl::Status {
        const v1::Level& in = request->level();
        std::string type_id = in.level_type_id();
        std::string level_id = in.level_id();
        RETURN_IF_ERROR(NormalizeUuid("level.level_type_id", type_id));
        RETURN_IF_ERROR(NormalizeUuid("level.level_id", level_id));
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("level.etag", in.etag()));
        ASSIGN_OR_RETURN(
            Level updated,
            deps_.levels.UpdateLevel(call.program_id, type_id, level_id, version,
                                     [&](LevelSpec& spec) -> absl::Status {
                                       RETURN_IF_ERROR(ApplyMask(in, request->update_mask(), spec));
                                       return NormalizeLevelSpec(spec, "level.");
                                     }));
        ToProto(updated, *response);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::ArchiveLevel(grpc::ServerContext* context,
                                     const v1::ArchiveLevelRequest* request, v1::Level* response) {
  return rpc::HandleProgramCall(
      context, "ArchiveLevel", [&](const rpc::CallContext& call) -> absl::Status {
        std::string type_id = request->level_type_id();
        std::string level_id = request->level_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", type_id));
        RETURN_IF_ERROR(NormalizeUuid("level_id", level_id));
        ASSIGN_OR_RETURN(std::optional<int64_t> version, ParseEtag("etag", request->etag()));
        ASSIGN_OR_RETURN(Level archived,
                         deps_.levels.ArchiveLevel(call.program_id, type_id, level_id, version));
        ToProto(archived, *response);
        return absl::OkStatus();
      });
}

// --- Cards' levels ------------------------------------------------------------------

grpc::Status LevelsApi::SetCardLevel(grpc::ServerContext* context,
                                     const v1::SetCardLevelRequest* request, v1::Card* response) {
  return rpc::HandleProgramCall(
      context, "SetCardLevel", [&](const rpc::CallContext& call) -> absl::Status {
        std::optional<absl::Time> expire;
        if (request->has_expire_time()) {
          ASSIGN_OR_RETURN(expire, rpc::TimeFromProto(request->expire_time(), "expire_time"));
        }
        ASSIGN_OR_RETURN(
            CardLevelStore::ManualResult result,
            deps_.card_levels.SetManual(call.program_id,
                                        ManualLevelChange{.card_number = request->card_number(),
                                                          .level_id = request->level_id(),
                                                          .comment = request->comment(),
                                                          .expire_time = expire,
                                                          .grant_bonus = request->grant_bonus(),
                                                          .request_id = request->request_id(),
                                                          .principal_id = call.principal_id}));
        if (result.bonus_change_id) {
          // The change is committed; a bonus the ledger cannot take now
          // stays pending and the recalculation retries it.
          absl::StatusOr<bool> granted =
              deps_.bonuses.Grant(call.program_id, *result.bonus_change_id);
          if (!granted.ok()) {
            log::Warn("level bonus left pending", {{"error", granted.status().message()}});
          }
        }
        ASSIGN_OR_RETURN(Card card, deps_.cards.Get(call.program_id, result.card_number));
        return DescribeCard({.levels = &deps_.card_levels, .masters = deps_.masters},
                            call.program_id, card, *response);
      });
}

grpc::Status LevelsApi::ListCardLevelHistory(grpc::ServerContext* context,
                                             const v1::ListCardLevelHistoryRequest* request,
                                             v1::ListCardLevelHistoryResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListCardLevelHistory", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        ASSIGN_OR_RETURN(LevelHistoryPage page,
                         deps_.card_levels.History(call.program_id, request->card_number(),
                                                   page_size, request->page_token()));
        for (const LevelChangeRecord& change : page.changes) {
          ToProto(change, *response->add_changes());
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status LevelsApi::RecalculateLevels(grpc::ServerContext* context,
                                          const v1::RecalculateLevelsRequest* request,
                                          v1::RecalculateLevelsResponse* response) {
  return rpc::HandleProgramCall(
      context, "RecalculateLevels", [&](const rpc::CallContext& call) -> absl::Status {
        std::string type_id = request->level_type_id();
        RETURN_IF_ERROR(NormalizeUuid("level_type_id", type_id, /*optional=*/true));
        if (!type_id.empty()) {
          RETURN_IF_ERROR(deps_.levels.GetLevelType(call.program_id, type_id).status());
        }
        ASSIGN_OR_RETURN(RecalculationStats stats,
                         deps_.recalculation.Run(RecalculationScope{.program_id = call.program_id,
                                                                    .level_type_id = type_id,
                                                                    .due_only = false},
                                                 deps_.clock.Now()));
        int64_t granted = deps_.bonuses.GrantAll(stats.pending_bonuses);
        ASSIGN_OR_RETURN(int64_t retried, deps_.bonuses.GrantPending(call.program_id));
        response->set_cards_examined(stats.examined);
        response->set_upgraded(stats.upgraded);
        response->set_downgraded(stats.downgraded);
        response->set_renewed(stats.renewed);
        response->set_bonuses_granted(granted + retried);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::cards
