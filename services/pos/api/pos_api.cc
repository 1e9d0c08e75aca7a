#include "services/pos/api/pos_api.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/decimal.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/rpc/handler.h"
#include "libs/rpc/proto_convert.h"
#include "services/pos/api/update_mask.h"
#include "services/pos/storage/receipt_events.h"

namespace loyalty::pos {
namespace {

void BalanceToProto(const Balance& balance, v1::ReceiptBalance* out) {
  out->set_available(balance.available);
  out->set_pending(balance.pending);
  out->set_held(balance.held);
}

v1::ReceiptState StateToProto(ReceiptState state) {
  switch (state) {
    case ReceiptState::kCalculated:
      return v1::RECEIPT_STATE_CALCULATED;
    // Confirmation in progress is still "calculated" to the till: the
    // confirm call has not succeeded yet.
    case ReceiptState::kConfirming:
      return v1::RECEIPT_STATE_CALCULATED;
    case ReceiptState::kConfirmed:
      return v1::RECEIPT_STATE_CONFIRMED;
    case ReceiptState::kCancelled:
      return v1::RECEIPT_STATE_CANCELLED;
  }
  return v1::RECEIPT_STATE_UNSPECIFIED;
}

void ReceiptToProto(const Receipt& receipt, v1::Receipt* out) {
  out->set_receipt_id(receipt.receipt_id);
  out->set_store_id(receipt.store_id);
  out->set_receipt_number(receipt.receipt_number);
  out->set_card_number(receipt.card_number);
  out->set_state(StateToProto(receipt.state));
  int64_t discount = 0;
  for (const PricedLine& line : receipt.lines) {
    auto* priced = out->add_lines();
    priced->set_line_number(line.line_number);
    priced->set_amount(line.amount);
    priced->set_discount(line.discount);
    priced->set_points_spent(line.points_spent);
    priced->set_points_earned(line.points_earned);
    if (line.refunded_quantity_milli > 0) {
      priced->set_refunded_quantity(FormatMilli(line.refunded_quantity_milli));
    }
    discount += line.discount;
  }
  out->set_total_amount(receipt.total_amount);
  out->set_total_discount(discount);
  out->set_max_points_payable(receipt.max_points_payable);
  out->set_points_spent(receipt.points_spent);
  out->set_points_earned(receipt.points_earned);
  const int64_t certificates_amount = CertificatesAmount(receipt);
  out->set_amount_to_pay(AmountToPay(receipt.lines, receipt.point_value) - certificates_amount);
  out->set_certificates_amount(certificates_amount);
  for (const ReceiptCertificate& certificate : receipt.certificates) {
    v1::ReceiptCertificate* offered = out->add_certificates();
    offered->set_number(certificate.number);
    // The domain's values are the proto's numbers.
    offered->set_outcome(static_cast<v1::CertificateOutcome>(certificate.outcome));
    offered->set_amount(certificate.amount);
    offered->set_refunded(certificate.refunded);
    offered->set_reason(certificate.reason);
  }
  out->set_no_loyalty_reason(static_cast<v1::NoLoyaltyReason>(receipt.no_loyalty_reason));
  for (const std::string& message : receipt.messages) out->add_messages(message);
  for (const AppliedRule& rule : receipt.applied_campaigns) {
    v1::AppliedCampaign* applied = out->add_applied_campaigns();
    applied->set_campaign_id(rule.campaign_id);
    applied->set_campaign_version(rule.campaign_version);
    applied->set_rule_id(rule.rule_id);
    applied->set_discount(rule.discount);
    applied->set_bonus_points(rule.bonus_points);
    applied->set_cashier_message(rule.cashier_message);
    for (const AppliedRule::Line& line : rule.lines) {
      v1::AppliedCampaignLine* share = applied->add_lines();
      share->set_line_number(line.line_number);
      share->set_discount(line.discount);
      share->set_bonus_points(line.bonus_points);
    }
  }
  for (const ReceiptPromoCode& code : receipt.promo_codes) {
    v1::ReceiptPromoCode* entered = out->add_promo_codes();
    entered->set_code(code.code);
    // The domain's values are the proto's numbers.
    entered->set_outcome(static_cast<v1::PromoCodeOutcome>(code.outcome));
    entered->set_campaign_id(code.campaign_id);
    entered->set_reason(code.reason);
  }
  for (const ReceiptGift& gift : receipt.gifts) {
    v1::ReceiptGift* given = out->add_gifts();
    given->set_sku(gift.sku);
    given->set_product_name(gift.product_name);
    given->set_in_catalogue(gift.in_catalogue);
    given->set_quantity(FormatMilli(gift.quantity_milli));
    given->set_price(gift.price);
    given->set_campaign_id(gift.campaign_id);
    given->set_campaign_version(gift.campaign_version);
    given->set_rule_id(gift.rule_id);
  }
  for (const ReceiptAction& action : receipt.actions) {
    v1::ReceiptAction* given = out->add_actions();
    // The domain's values are the proto's numbers.
    given->set_kind(static_cast<v1::CampaignActionKind>(action.kind));
    SetActionParameters(action, *given);
    given->set_state(static_cast<v1::CampaignActionState>(action.state));
    given->set_promo_code(action.promo_code);
    given->set_failure_reason(action.reason);
    given->set_attempts(action.attempts);
  }
  BalanceToProto(receipt.balance, out->mutable_balance());
  rpc::SetTimestamp(receipt.create_time, out->mutable_create_time());
  if (receipt.confirm_time) rpc::SetTimestamp(*receipt.confirm_time, out->mutable_confirm_time());
  if (receipt.cancel_time) rpc::SetTimestamp(*receipt.cancel_time, out->mutable_cancel_time());
  if (receipt.taken_time) {
    out->set_offline(true);
    rpc::SetTimestamp(*receipt.taken_time, out->mutable_taken_time());
  }
}

std::vector<LineInput> LinesFromProto(
    const google::protobuf::RepeatedPtrField<v1::ReceiptLine>& lines) {
  std::vector<LineInput> out;
  out.reserve(lines.size());
  for (const v1::ReceiptLine& line : lines) {
    out.push_back(LineInput{.line_number = line.line_number(),
                            .sku = line.sku(),
                            .category = line.category(),
                            .quantity = line.quantity(),
                            .price = line.price(),
                            .amount = line.amount()});
  }
  return out;
}

CalculateInput OfflineReceiptFromProto(const v1::OfflineReceipt& in) {
  CalculateInput input{.store_id = in.store_id(),
                       .receipt_number = in.receipt_number(),
                       .card_number = in.card_number(),
                       .lines = LinesFromProto(in.lines()),
                       .points_to_spend = in.points_spent()};
  input.promo_codes.assign(in.promo_codes().begin(), in.promo_codes().end());
  if (in.has_taken_time()) {
    // A timestamp out of range becomes the infinite past, which the engine
    // refuses for this receipt alone, naming the field.
    absl::StatusOr<absl::Time> taken = rpc::TimeFromProto(in.taken_time(), "taken_time");
    input.taken_time = taken.ok() ? *taken : absl::InfinitePast();
  }
  return input;
}

void OfflineResultToProto(int index, const OfflineResult& result, v1::OfflineReceiptResult* out) {
  out->set_index(index);
  switch (result.outcome) {
    case OfflineOutcome::kConfirmed:
      out->set_outcome(v1::OFFLINE_RECEIPT_OUTCOME_CONFIRMED);
      break;
    case OfflineOutcome::kAlreadyRecorded:
      out->set_outcome(v1::OFFLINE_RECEIPT_OUTCOME_ALREADY_RECORDED);
      break;
    case OfflineOutcome::kFailed:
      out->set_outcome(v1::OFFLINE_RECEIPT_OUTCOME_FAILED);
      out->set_error_code(absl::StatusCodeToString(result.error.code()));
      out->set_field(ViolatedField(result.error).value_or(""));
      out->set_message(std::string(result.error.message()));
      break;
  }
  if (result.receipt) ReceiptToProto(*result.receipt, out->mutable_receipt());
}

v1::RefundShortfallPolicy ShortfallPolicyToProto(RefundShortfallPolicy policy) {
  return policy == RefundShortfallPolicy::kNegativeBalance
             ? v1::REFUND_SHORTFALL_POLICY_NEGATIVE_BALANCE
             : v1::REFUND_SHORTFALL_POLICY_CAP;
}

void RefundToProto(const Refund& refund, v1::Refund* out) {
  out->set_refund_id(refund.refund_id);
  out->set_receipt_id(refund.receipt_id);
  out->set_amount(refund.plan.amount);
  out->set_points_to_reverse(refund.plan.points_to_reverse);
  out->set_points_reversed(refund.points_reversed);
  out->set_points_returned(refund.plan.points_to_return);
  int64_t certificates_amount = 0;
  for (const RefundedCertificate& share : refund.certificates) {
    v1::RefundedCertificate* returned = out->add_certificates();
    returned->set_number(share.number);
    returned->set_amount(share.amount);
    certificates_amount += share.amount;
  }
  out->set_certificates_amount(certificates_amount);
  BalanceToProto(refund.balance, out->mutable_balance());
  rpc::SetTimestamp(refund.create_time, out->mutable_create_time());
  out->set_points_reversed_from_balance(refund.points_reversed_from_balance());
  out->set_points_into_negative(refund.points_into_negative);
  out->set_points_forgiven(refund.points_forgiven());
  out->set_shortfall_policy(ShortfallPolicyToProto(refund.shortfall_policy));
  out->set_negative_floor(refund.negative_floor);
  out->set_cancels_receipt(refund.cancels_receipt);
}

void StoreToProto(const Store& store, v1::Store* out) {
  out->set_store_id(store.store_id);
  out->set_name(store.name);
  out->set_city(store.city);
  out->set_partner_id(store.partner_id);
  out->set_store_type_id(store.store_type_id);
  out->set_city_id(store.city_id);
  out->set_sales_channel_id(store.sales_channel_id);
  out->set_address(store.address);
  out->set_time_zone(store.time_zone);
  out->set_archived(store.archived);
  rpc::SetTimestamp(store.create_time, out->mutable_create_time());
  rpc::SetTimestamp(store.update_time, out->mutable_update_time());
}

Store StoreFromProto(const v1::Store& in) {
  return Store{.name = in.name(),
               .city = in.city(),
               .partner_id = in.partner_id(),
               .store_type_id = in.store_type_id(),
               .city_id = in.city_id(),
               .sales_channel_id = in.sales_channel_id(),
               .address = in.address(),
               .time_zone = in.time_zone(),
               .archived = in.archived()};
}

// The fields UpdateStore changes, by update-mask path. partner_id is not
// among them: it is fixed at creation (CRD-9).
using StorePath = MaskPath<v1::Store, Store>;
constexpr StorePath kStorePaths[] = {
    {"name", [](const v1::Store& in, Store& s) { s.name = in.name(); }},
    {"city", [](const v1::Store& in, Store& s) { s.city = in.city(); }},
    {"address", [](const v1::Store& in, Store& s) { s.address = in.address(); }},
    {"time_zone", [](const v1::Store& in, Store& s) { s.time_zone = in.time_zone(); }},
    {"store_type_id", [](const v1::Store& in, Store& s) { s.store_type_id = in.store_type_id(); }},
    {"city_id", [](const v1::Store& in, Store& s) { s.city_id = in.city_id(); }},
    {"sales_channel_id",
     [](const v1::Store& in, Store& s) { s.sales_channel_id = in.sales_channel_id(); }},
    {"archived", [](const v1::Store& in, Store& s) { s.archived = in.archived(); }},
};

void SettingsToProto(const PosSettings& settings, absl::Time updated, v1::PosSettings* out) {
  out->set_accrual_rate_bp(settings.accrual_rate_bp);
  out->set_max_redeem_share_bp(settings.max_redeem_share_bp);
  out->set_point_value(settings.point_value);
  out->set_accrual_activation_delay_seconds(settings.activation_delay_seconds);
  out->set_points_lifetime_days(settings.points_lifetime_days);
  out->set_refund_shortfall_policy(ShortfallPolicyToProto(settings.refund_shortfall_policy));
  out->set_refund_negative_floor(settings.refund_negative_floor);
  rpc::SetTimestamp(updated, out->mutable_update_time());
}

}  // namespace

grpc::Status PosApi::CalculateReceipt(grpc::ServerContext* context,
                                      const v1::CalculateReceiptRequest* request,
                                      v1::Receipt* response) {
  return rpc::HandleProgramCall(
      context, "CalculateReceipt", [&](const rpc::CallContext& call) -> absl::Status {
        CalculateInput input{.store_id = request->store_id(),
                             .bound_store_id = call.store_id,
                             .receipt_number = request->receipt_number(),
                             .card_number = request->card_number(),
                             .points_to_spend = request->points_to_spend()};
        input.promo_codes.assign(request->promo_codes().begin(), request->promo_codes().end());
        for (const v1::CertificatePayment& certificate : request->certificates()) {
          input.certificates.push_back(
              CertificateInput{.number = certificate.number(), .amount = certificate.amount()});
        }
        input.lines = LinesFromProto(request->lines());
        GrpcLedger ledger(cards_, call);
        absl::StatusOr<Receipt> receipt = engine_.Calculate(call.program_id, input, ledger);
        if (!receipt.ok()) return receipt.status();
        ReceiptToProto(*receipt, response);
        return absl::OkStatus();
      });
}

grpc::Status PosApi::ConfirmReceipt(grpc::ServerContext* context,
                                    const v1::ConfirmReceiptRequest* request,
                                    v1::Receipt* response) {
  return rpc::HandleProgramCall(
      context, "ConfirmReceipt", [&](const rpc::CallContext& call) -> absl::Status {
        GrpcLedger ledger(cards_, call);
        absl::StatusOr<Receipt> receipt = engine_.Confirm(
            call.program_id, call.store_id, request->request_id(), request->receipt_id(), ledger);
        if (!receipt.ok()) return receipt.status();
        ReceiptToProto(*receipt, response);
        return absl::OkStatus();
      });
}

grpc::Status PosApi::RefundReceipt(grpc::ServerContext* context,
                                   const v1::RefundReceiptRequest* request, v1::Refund* response) {
  return rpc::HandleProgramCall(
      context, "RefundReceipt", [&](const rpc::CallContext& call) -> absl::Status {
        std::vector<RefundRequestLine> lines;
        for (const v1::RefundLine& line : request->lines()) {
          lines.push_back(RefundRequestLine{line.line_number(), line.quantity()});
        }
        GrpcLedger ledger(cards_, call);
        absl::StatusOr<Refund> refund =
            engine_.RefundReceipt(call.program_id, call.store_id, request->request_id(),
                                  request->receipt_id(), lines, ledger);
        if (!refund.ok()) return refund.status();
        RefundToProto(*refund, response);
        return absl::OkStatus();
      });
}

grpc::Status PosApi::CancelReceipt(grpc::ServerContext* context,
                                   const v1::CancelReceiptRequest* request, v1::Receipt* response) {
  return rpc::HandleProgramCall(
      context, "CancelReceipt", [&](const rpc::CallContext& call) -> absl::Status {
        GrpcLedger ledger(cards_, call);
        absl::StatusOr<Cancellation> cancellation =
            engine_.Cancel(call.program_id, call.store_id, request->receipt_id(), ledger);
        if (!cancellation.ok()) return cancellation.status();
        ReceiptToProto(cancellation->receipt, response);
        if (cancellation->refund) {
          RefundToProto(*cancellation->refund, response->mutable_cancellation());
        }
        return absl::OkStatus();
      });
}

grpc::Status PosApi::GetReceipt(grpc::ServerContext* context, const v1::GetReceiptRequest* request,
                                v1::Receipt* response) {
  return rpc::HandleProgramCall(
      context, "GetReceipt", [&](const rpc::CallContext& call) -> absl::Status {
        if (!IsUuid(request->receipt_id())) return InvalidField("receipt_id", "not a receipt id");
        absl::StatusOr<Receipt> receipt =
            store_.Get(call.program_id, absl::AsciiStrToLower(request->receipt_id()));
        if (!receipt.ok()) return receipt.status();
        if (!call.store_id.empty() && receipt->store_id != call.store_id) {
          // A store-bound key sees its own store's receipts only.
          return absl::NotFoundError(absl::StrCat("receipt ", request->receipt_id(), " not found"));
        }
        ReceiptToProto(*receipt, response);
        return absl::OkStatus();
      });
}

grpc::Status PosApi::UploadOfflineReceipts(grpc::ServerContext* context,
                                           const v1::UploadOfflineReceiptsRequest* request,
                                           v1::UploadOfflineReceiptsResponse* response) {
  return rpc::HandleProgramCall(
      context, "UploadOfflineReceipts", [&](const rpc::CallContext& call) -> absl::Status {
        std::vector<CalculateInput> receipts;
        receipts.reserve(request->receipts_size());
        for (const v1::OfflineReceipt& receipt : request->receipts()) {
          receipts.push_back(OfflineReceiptFromProto(receipt));
        }
        GrpcLedger ledger(cards_, call);
        absl::StatusOr<std::vector<OfflineResult>> results =
            engine_.UploadOffline(call.program_id, call.store_id, receipts, ledger);
        if (!results.ok()) return results.status();
        for (size_t i = 0; i < results->size(); ++i) {
          OfflineResultToProto(static_cast<int>(i), (*results)[i], response->add_results());
        }
        return absl::OkStatus();
      });
}

grpc::Status StoreApi::CreateStore(grpc::ServerContext* context,
                                   const v1::CreateStoreRequest* request, v1::Store* response) {
  return rpc::HandleProgramCall(
      context, "CreateStore", [&](const rpc::CallContext& call) -> absl::Status {
        if (request->request_id().size() > 128) {
          return InvalidField("request_id", "longer than 128 bytes");
        }
        Store wanted = StoreFromProto(request->store());
        if (wanted.archived) return InvalidField("store.archived", "a new store is not archived");
        RETURN_IF_ERROR(ValidateStore(wanted, "store"));
        absl::StatusOr<Store> store =
            store_.CreateStore(call.program_id, wanted, request->request_id());
        if (!store.ok()) return store.status();
        StoreToProto(*store, response);
        return absl::OkStatus();
      });
}

grpc::Status StoreApi::GetStore(grpc::ServerContext* context, const v1::GetStoreRequest* request,
                                v1::Store* response) {
  return rpc::HandleProgramCall(
      context, "GetStore", [&](const rpc::CallContext& call) -> absl::Status {
        absl::StatusOr<Store> store = store_.GetStore(call.program_id, request->store_id());
        if (!store.ok()) return store.status();
        StoreToProto(*store, response);
        return absl::OkStatus();
      });
}

grpc::Status StoreApi::UpdateStore(grpc::ServerContext* context,
                                   const v1::UpdateStoreRequest* request, v1::Store* response) {
  return rpc::HandleProgramCall(
      context, "UpdateStore", [&](const rpc::CallContext& call) -> absl::Status {
        absl::StatusOr<Store> store = store_.UpdateStore(
            call.program_id, request->store().store_id(), [&](Store& store) -> absl::Status {
              RETURN_IF_ERROR(
                  ApplyUpdateMask(request->store(), request->update_mask(), kStorePaths, store));
              return ValidateStore(store, "store");
            });
        if (!store.ok()) return store.status();
        StoreToProto(*store, response);
        return absl::OkStatus();
      });
}

grpc::Status StoreApi::ListStores(grpc::ServerContext* context,
                                  const v1::ListStoresRequest* request,
                                  v1::ListStoresResponse* response) {
  return rpc::HandleProgramCall(
      context, "ListStores", [&](const rpc::CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(int page_size, rpc::ResolvePageSize(request->page_size()));
        absl::StatusOr<StorePage> page =
            store_.ListStores(call.program_id, page_size, request->page_token(),
                              request->show_archived());
        if (!page.ok()) return page.status();
        for (const Store& store : page->stores) StoreToProto(store, response->add_stores());
        response->set_next_page_token(page->next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status StoreApi::GetPosSettings(grpc::ServerContext* context,
                                      const v1::GetPosSettingsRequest*, v1::PosSettings* response) {
  return rpc::HandleProgramCall(
      context, "GetPosSettings", [&](const rpc::CallContext& call) -> absl::Status {
        absl::StatusOr<PosSettings> settings = store_.GetSettings(call.program_id);
        if (!settings.ok()) return settings.status();
        absl::StatusOr<absl::Time> updated = store_.SettingsUpdateTime(call.program_id);
        if (!updated.ok()) return updated.status();
        SettingsToProto(*settings, *updated, response);
        return absl::OkStatus();
      });
}

grpc::Status StoreApi::UpdatePosSettings(grpc::ServerContext* context,
                                         const v1::UpdatePosSettingsRequest* request,
                                         v1::PosSettings* response) {
  return rpc::HandleProgramCall(
      context, "UpdatePosSettings", [&](const rpc::CallContext& call) -> absl::Status {
        const v1::PosSettings& in = request->settings();
        std::vector<std::string> paths(request->update_mask().paths().begin(),
                                       request->update_mask().paths().end());
        if (paths.empty()) {
          paths = {"accrual_rate_bp",      "max_redeem_share_bp",
                   "point_value",          "accrual_activation_delay_seconds",
                   "points_lifetime_days", "refund_shortfall_policy",
                   "refund_negative_floor"};
        }
        absl::StatusOr<PosSettings> saved =
            store_.UpdateSettings(call.program_id, [&](PosSettings& settings) -> absl::Status {
              for (const std::string& path : paths) {
                if (path == "accrual_rate_bp") {
                  settings.accrual_rate_bp = in.accrual_rate_bp();
                } else if (path == "max_redeem_share_bp") {
                  settings.max_redeem_share_bp = in.max_redeem_share_bp();
                } else if (path == "point_value") {
                  settings.point_value = in.point_value();
                } else if (path == "accrual_activation_delay_seconds") {
                  settings.activation_delay_seconds = in.accrual_activation_delay_seconds();
                } else if (path == "points_lifetime_days") {
                  settings.points_lifetime_days = in.points_lifetime_days();
                } else if (path == "refund_shortfall_policy") {
                  switch (in.refund_shortfall_policy()) {
                    case v1::REFUND_SHORTFALL_POLICY_UNSPECIFIED:  // reads as CAP
                    case v1::REFUND_SHORTFALL_POLICY_CAP:
                      settings.refund_shortfall_policy = RefundShortfallPolicy::kCap;
                      break;
                    case v1::REFUND_SHORTFALL_POLICY_NEGATIVE_BALANCE:
                      settings.refund_shortfall_policy = RefundShortfallPolicy::kNegativeBalance;
                      break;
                    default:
                      return InvalidField("settings.refund_shortfall_policy", "unknown policy");
                  }
                } else if (path == "refund_negative_floor") {
                  settings.refund_negative_floor = in.refund_negative_floor();
                } else {
                  return InvalidField("update_mask", absl::StrCat("unknown field '", path, "'"));
                }
              }
              return ValidateSettings(settings);
            });
        if (!saved.ok()) return saved.status();
        absl::StatusOr<absl::Time> updated = store_.SettingsUpdateTime(call.program_id);
        if (!updated.ok()) return updated.status();
        SettingsToProto(*saved, *updated, response);
        return absl::OkStatus();
      });
}

}  // namespace loyalty::pos
