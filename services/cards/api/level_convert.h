#pragma once

// Proto <-> domain mapping of the template and level contracts, and the
// update masks of their Update methods. No validation beyond what the
// mapping needs: the domain validates.

#include "google/protobuf/field_mask.pb.h"
#include "loyalty/cards/v1/cards_service.pb.h"
#include "loyalty/cards/v1/levels_service.pb.h"
#include "loyalty/cards/v1/templates_service.pb.h"
#include "services/cards/domain/card_template.h"
#include "services/cards/domain/level.h"
#include "services/cards/storage/card_level_store.h"

namespace loyalty::cards {

// Unknown enum numbers become kUnspecified, which validation refuses.
TemplateSpec FromProto(const v1::CardTemplate& message);
void ToProto(const CardTemplate& card_template, v1::CardTemplate& out);

LevelTypeSpec FromProto(const v1::LevelType& message);
void ToProto(const LevelType& level_type, v1::LevelType& out);

LevelSpec FromProto(const v1::Level& message);
void ToProto(const Level& level, v1::Level& out);

// Copies the fields `mask` names from `in` onto `spec` (every mutable field
// when the mask is empty). INVALID_ARGUMENT naming `update_mask` for a path
// that is unknown or output only.
absl::Status ApplyMask(const v1::CardTemplate& in, const google::protobuf::FieldMask& mask,
                       TemplateSpec& spec);
absl::Status ApplyMask(const v1::LevelType& in, const google::protobuf::FieldMask& mask,
                       LevelTypeSpec& spec);
absl::Status ApplyMask(const v1::Level& in, const google::protobuf::FieldMask& mask,
                       LevelSpec& spec);

// The card fields levels add: template_id, level, benefits.
void AddLevelView(const CardLevelView& view, v1::Card& out);

void ToProto(const LevelChangeRecord& change, v1::LevelChange& out);

}  // namespace loyalty::cards
