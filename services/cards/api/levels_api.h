#pragma once

#include "loyalty/cards/v1/levels_service.grpc.pb.h"
#include "services/cards/domain/clock.h"
#include "services/cards/storage/card_level_store.h"
#include "services/cards/storage/card_store.h"
#include "services/cards/storage/level_bonus.h"
#include "services/cards/storage/level_recalculation.h"
#include "services/cards/storage/level_store.h"

namespace loyalty::cards {

class MasterAccountStore;

// loyalty.cards.v1.LevelsService: level types, levels, and cards' levels
// (CRD-2).
class LevelsApi final : public v1::LevelsService::Service {
 public:
  struct Deps {
    LevelStore& levels;
    CardStore& cards;
    CardLevelStore& card_levels;
    LevelRecalculation& recalculation;
    LevelBonuses& bonuses;
    const Clock& clock;
    // Shows a changed card's master account, when set.
    MasterAccountStore* masters = nullptr;
  };
  explicit LevelsApi(Deps deps) : deps_(deps) {}

  grpc::Status CreateLevelType(grpc::ServerContext* context,
                               const v1::CreateLevelTypeRequest* request,
                               v1::LevelType* response) override;
  grpc::Status GetLevelType(grpc::ServerContext* context, const v1::GetLevelTypeRequest* request,
                            v1::LevelType* response) override;
  grpc::Status ListLevelTypes(grpc::ServerContext* context,
                              const v1::ListLevelTypesRequest* request,
                              v1::ListLevelTypesResponse* response) override;
  grpc::Status UpdateLevelType(grpc::ServerContext* context,
                               const v1::UpdateLevelTypeRequest* request,
                               v1::LevelType* response) override;
  grpc::Status ArchiveLevelType(grpc::ServerContext* context,
                                const v1::ArchiveLevelTypeRequest* request,
                                v1::LevelType* response) override;

  grpc::Status CreateLevel(grpc::ServerContext* context, const v1::CreateLevelRequest* request,
                           v1::Level* response) override;
  grpc::Status GetLevel(grpc::ServerContext* context, const v1::GetLevelRequest* request,
                        v1::Level* response) override;
  grpc::Status ListLevels(grpc::ServerContext* context, const v1::ListLevelsRequest* request,
                          v1::ListLevelsResponse* response) override;
  grpc::Status UpdateLevel(grpc::ServerContext* context, const v1::UpdateLevelRequest* request,
                           v1::Level* response) override;
  grpc::Status ArchiveLevel(grpc::ServerContext* context, const v1::ArchiveLevelRequest* request,
                            v1::Level* response) override;

  grpc::Status SetCardLevel(grpc::ServerContext* context, const v1::SetCardLevelRequest* request,
                            v1::Card* response) override;
  grpc::Status ListCardLevelHistory(grpc::ServerContext* context,
                                    const v1::ListCardLevelHistoryRequest* request,
                                    v1::ListCardLevelHistoryResponse* response) override;
  grpc::Status RecalculateLevels(grpc::ServerContext* context,
                                 const v1::RecalculateLevelsRequest* request,
                                 v1::RecalculateLevelsResponse* response) override;

 private:
  Deps deps_;
};

}  // namespace loyalty::cards
