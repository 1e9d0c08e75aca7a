#include "services/cards/api/mass_change.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "libs/common/errors.h"
#include "libs/common/log.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/proto_convert.h"
#include "services/cards/api/convert.h"

namespace loyalty::cards {

absl::StatusOr<MassChange> MassChangeFromProto(const v1::MassChange& change) {
  MassChange out;
  switch (change.change_case()) {
    case v1::MassChange::kSetStatus: {
      out.kind = MassChange::Kind::kStatus;
      std::optional<CardStatus> status = FromProto(change.set_status().status());
      if (!status) return InvalidField("change.set_status.status", "required");
      out.status = *status;
      out.reason = change.set_status().reason();
      break;
    }
    case v1::MassChange::kSetTemplate:
      out.kind = MassChange::Kind::kTemplate;
      out.template_id = change.set_template().template_id();
      break;
    case v1::MassChange::kSetLevel: {
      const v1::MassLevelChange& level = change.set_level();
      out.kind = MassChange::Kind::kLevel;
      out.level_id = level.level_id();
      out.comment = level.comment();
      out.grant_bonus = level.grant_bonus();
      if (level.has_expire_time()) {
        ASSIGN_OR_RETURN(out.expire_time,
                         rpc::TimeFromProto(level.expire_time(), "change.set_level.expire_time"));
      }
      break;
    }
    case v1::MassChange::kAdjustPoints:
      out.kind = MassChange::Kind::kPoints;
      out.amount = change.adjust_points().amount();
      out.reason = change.adjust_points().reason();
      break;
    case v1::MassChange::kChangeTags:
      out.kind = MassChange::Kind::kTags;
      out.tag_id = change.change_tags().tag_id();
      out.remove_tag = change.change_tags().remove();
      break;
    case v1::MassChange::CHANGE_NOT_SET:
      return InvalidField("change",
                          "required: one of set_status, set_template, set_level, adjust_points,"
                          " change_tags");
  }
  RETURN_IF_ERROR(NormalizeMassChange(out));
  return out;
}

v1::MassChange ToProto(const MassChange& change) {
  v1::MassChange out;
  switch (change.kind) {
    case MassChange::Kind::kStatus:
      out.mutable_set_status()->set_status(ToProto(change.status));
      out.mutable_set_status()->set_reason(change.reason);
      break;
    case MassChange::Kind::kTemplate:
      out.mutable_set_template()->set_template_id(change.template_id);
      break;
    case MassChange::Kind::kLevel: {
      v1::MassLevelChange& level = *out.mutable_set_level();
      level.set_level_id(change.level_id);
      level.set_comment(change.comment);
      level.set_grant_bonus(change.grant_bonus);
      if (change.expire_time) rpc::SetTimestamp(*change.expire_time, level.mutable_expire_time());
      break;
    }
    case MassChange::Kind::kPoints:
      out.mutable_adjust_points()->set_amount(change.amount);
      out.mutable_adjust_points()->set_reason(change.reason);
      break;
    case MassChange::Kind::kTags:
      out.mutable_change_tags()->set_tag_id(change.tag_id);
      out.mutable_change_tags()->set_remove(change.remove_tag);
      break;
  }
  return out;
}

absl::StatusOr<operations::NewOperation> MassChangeOperation(
    const v1::StartMassChangeRequest& request, absl::string_view principal_id) {
  operations::NewOperation op{
      .request_id = request.request_id(),
      .kind = kMassChangeKind,
      .item_keys = std::vector<std::string>(request.card_numbers().begin(),
                                                          request.card_numbers().end()),
      .created_by = std::string(principal_id)};
  if (op.request_id.empty()) return InvalidField("request_id", "required");
  RETURN_IF_ERROR(ValidateMassChangeCards(op.item_keys));
  RETURN_IF_ERROR(operations::ValidateNewOperation(op, "card_numbers"));
  ASSIGN_OR_RETURN(MassChange change, MassChangeFromProto(request.change()));
  // Deterministic serialisation: a retry must digest the same bytes.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    ToProto(change).SerializeToCodedStream(&coded);
  }
  op.params = absl::Base64Escape(bytes);
  return op;
}

operations::ItemOutcome MassChangeHandler::Apply(const operations::OperationRun& run,
                                                 const operations::PendingItem& item) {
  std::string bytes;
  v1::MassChange proto;
  absl::StatusOr<MassChange> change = absl::InternalError("the stored change does not decode");
  if (absl::Base64Unescape(run.params, &bytes) && proto.ParseFromString(bytes)) {
    change = MassChangeFromProto(proto);
  }
  if (!change.ok()) {
    return {.action = operations::ItemOutcome::Action::kFailOperation, .status = change.status()};
  }
  if (change->kind == MassChange::Kind::kTags) return ApplyTags(run, item, *change);
  return operations::OutcomeOf(ApplyChange(run, item, *change));
}

operations::ItemOutcome MassChangeHandler::ApplyTags(const operations::OperationRun& run,
                                                     const operations::PendingItem& item,
                                                     const MassChange& change) {
  absl::StatusOr<Card> card = deps_.cards.Get(run.program_id, item.key);
  if (!card.ok()) return operations::OutcomeOf(card.status());
  const std::vector<std::string> holders = CardHolders(*card);
  if (holders.empty()) {
    return operations::OutcomeOf(absl::FailedPreconditionError("the card has no holder to tag"));
  }
  // A service call on the operation's behalf: its program, its author for
  // identity's logs, and a request id per item.
  const rpc::CallContext call{.program_id = run.program_id,
                              .principal_id = run.created_by,
                              .request_id = MassChangeItemKey(run.operation_id, item.sequence),
                              .trace = TraceParent::NewRoot()};
  absl::StatusOr<std::vector<std::string>> unknown =
      deps_.tags.ChangeTag(call, change.tag_id, holders, change.remove_tag);
  if (absl::IsNotFound(unknown.status())) {
    return {.action = operations::ItemOutcome::Action::kFailOperation,
            .status = absl::FailedPreconditionError(
                absl::StrCat("the tag ", change.tag_id, " was deleted"))};
  }
  if (!unknown.ok()) return operations::OutcomeOf(unknown.status());
  if (!unknown->empty()) {
    // The other holders have it; a rerun changes nothing for them.
    return operations::OutcomeOf(absl::NotFoundError(absl::StrCat(
        "holders that are no clients of the program: ", absl::StrJoin(*unknown, ", "))));
  }
  return operations::OutcomeOf(absl::OkStatus());
}

absl::Status MassChangeHandler::ApplyChange(const operations::OperationRun& run,
                                            const operations::PendingItem& item,
                                            const MassChange& change) {
  const std::string& program = run.program_id;
  switch (change.kind) {
    case MassChange::Kind::kStatus:
      return deps_.cards.SetStatus(program, item.key, change.status, change.reason, run.created_by)
          .status();
    case MassChange::Kind::kTemplate:
      return deps_.card_levels.SetTemplate(program, item.key, change.template_id).status();
    case MassChange::Kind::kLevel: {
      ASSIGN_OR_RETURN(CardLevelStore::ManualResult result,
                       deps_.card_levels.SetManual(
                           program, ManualLevelChange{.card_number = item.key,
                                                      .level_id = change.level_id,
                                                      .comment = change.comment,
                                                      .expire_time = change.expire_time,
                                                      .grant_bonus = change.grant_bonus,
                                                      .request_id = MassChangeItemKey(
                                                          run.operation_id, item.sequence),
                                                      .principal_id = run.created_by}));
      if (result.bonus_change_id) {
        // As SetCardLevel: a bonus the ledger cannot take now stays pending
        // for the recalculation.
        absl::StatusOr<bool> granted = deps_.bonuses.Grant(program, *result.bonus_change_id);
        if (!granted.ok()) {
          log::Warn("level bonus left pending", {{"error", granted.status().message()}});
        }
      }
      return absl::OkStatus();
    }
    case MassChange::Kind::kPoints: {
      TransferSpec spec{.transfer_id = MassChangeItemKey(run.operation_id, item.sequence),
                        .kind = change.amount > 0 ? TransferKind::kCorrectionCredit
                                                  : TransferKind::kCorrectionDebit,
                        .card_number = item.key,
                        .amount = change.amount > 0 ? change.amount : -change.amount,
                        .reason = change.reason,
                        .actor = run.created_by};
      ASSIGN_OR_RETURN(CommitResult result, deps_.ledger.Correct(program, spec));
      deps_.metrics.RecordCommitted({&spec, 1}, result.results);
      return absl::OkStatus();
    }
    case MassChange::Kind::kTags:
      break;  // ApplyTags
  }
  return absl::InternalError("unknown change");
}

}  // namespace loyalty::cards
