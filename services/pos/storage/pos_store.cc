#include "services/pos/storage/pos_store.h"

#include <algorithm>
#include <tuple>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/common/status_macros.h"
#include "libs/outbox/outbox.h"
#include "libs/pg/array_literal.h"
#include "libs/pg/prepared.h"
#include "libs/rpc/proto_convert.h"
#include "loyalty/pos/v1/events.pb.h"
#include "services/pos/domain/certificates.h"
#include "services/pos/storage/receipt_actions.h"
#include "services/pos/storage/receipt_events.h"
#include "services/pos/storage/receipt_certificates.h"
#include "services/pos/storage/receipt_gifts.h"
#include "services/pos/storage/receipt_promo_codes.h"
#include "services/pos/storage/reference_store.h"

namespace loyalty::pos {
namespace {

constexpr char kReceiptColumns[] =
    "receipt_id::text, program_id::text, store_id::text, receipt_number, card_number,"
    " state, calculation, hold_id, total_amount, max_points_payable, points_spent,"
    " points_earned, point_value, no_loyalty_reason,"
    " (extract(epoch FROM activate_at) * 1000000)::bigint,"
    " (extract(epoch FROM expire_at) * 1000000)::bigint,"
    " balance_available, balance_pending, balance_held,"
    " (extract(epoch FROM created_at) * 1000000)::bigint,"
    " (extract(epoch FROM confirmed_at) * 1000000)::bigint,"
    " (SELECT s.partner_id FROM stores s WHERE s.store_id = receipts.store_id),"
    " budget_reserved, (extract(epoch FROM taken_at) * 1000000)::bigint,"
    " (extract(epoch FROM cancelled_at) * 1000000)::bigint";

// Columns StoreFromRow expects, in order.
constexpr char kStoreColumns[] =
    "store_id::text, name, city, (extract(epoch FROM created_at) * 1000000)::bigint, partner_id,"
    " store_type_id, city_id, sales_channel_id, address, time_zone, archived,"
    " (extract(epoch FROM updated_at) * 1000000)::bigint";

Store StoreFromRow(const pqxx::row& row) {
  return Store{.store_id = row[0].as<std::string>(),
               .name = row[1].as<std::string>(),
               .city = row[2].as<std::string>(),
               .create_time = absl::FromUnixMicros(row[3].as<int64_t>()),
               .partner_id = row[4].as<std::string>(),
               .store_type_id = row[5].as<std::string>(),
               .city_id = row[6].as<std::string>(),
               .sales_channel_id = row[7].as<std::string>(),
               .address = row[8].as<std::string>(),
               .time_zone = row[9].as<std::string>(),
               .archived = row[10].as<bool>(),
               .update_time = absl::FromUnixMicros(row[11].as<int64_t>())};
}

// Refuses a store naming a missing or archived entry of a reference list,
// naming the field under `prefix`. `previous` (on update) lets an entry
// archived since stay on the store as long as it is not changed.
absl::Status CheckStoreReferences(pg::Tx& tx, const std::string& program_id, const Store& store,
                                  const Store* previous, absl::string_view prefix) {
  struct Named {
    ReferenceKind kind;
    const std::string Store::*member;
    const char* field;
  };
  constexpr Named kNamed[] = {
      {ReferenceKind::kPartner, &Store::partner_id, "partner_id"},
      {ReferenceKind::kStoreType, &Store::store_type_id, "store_type_id"},
      {ReferenceKind::kCity, &Store::city_id, "city_id"},
      {ReferenceKind::kSalesChannel, &Store::sales_channel_id, "sales_channel_id"},
  };
  for (const Named& named : kNamed) {
    const std::string& id = store.*named.member;
    if (previous != nullptr && previous->*named.member == id) continue;
    absl::Status status = CheckUsableReference(tx, program_id, named.kind, id,
                                               absl::StrCat(prefix, ".", named.field));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// StoreChanged for services that keep their own copy of the store list.
void AppendStoreChanged(pg::Tx& tx, const std::string& program_id, const Store& store) {
  v1::StoreChanged event;
  event.set_store_id(store.store_id);
  event.set_name(store.name);
  event.set_partner_id(store.partner_id);
  event.set_store_type_id(store.store_type_id);
  event.set_city_id(store.city_id);
  event.set_sales_channel_id(store.sales_channel_id);
  event.set_time_zone(store.time_zone);
  event.set_archived(store.archived);
  rpc::SetTimestamp(store.update_time, event.mutable_change_time());
  outbox::Append(tx, outbox::StreamFor("pos"), program_id, event);
}

ReceiptState StateFromName(const std::string& name) {
  if (name == "CONFIRMING") return ReceiptState::kConfirming;
  if (name == "CONFIRMED") return ReceiptState::kConfirmed;
  if (name == "CANCELLED") return ReceiptState::kCancelled;
  return ReceiptState::kCalculated;
}

std::optional<absl::Time> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return absl::FromUnixMicros(field.as<int64_t>());
}

std::optional<std::string> TimeParam(const std::optional<absl::Time>& time) {
  if (!time) return std::nullopt;
  return absl::StrCat(absl::ToUnixMicros(*time));
}

// A receipt with its lines, applied rules and promo codes, in one round
// trip (confirm reads it twice; a statement each made reading it cost as
// much as the writes). The child rows are read whether or not the receipt
// matches, since they are keyed by the receipt id alone; they are used only
// when it does.
std::optional<Receipt> LoadReceipt(pg::Tx& tx, const std::string& program_id,
                                   const std::string& receipt_id, bool for_update) {
  static const std::string kSelectReceipt = absl::StrCat(
      "SELECT ", kReceiptColumns, " FROM receipts WHERE program_id = $1 AND receipt_id = $2");
  static const std::string kSelectReceiptForUpdate = kSelectReceipt + " FOR UPDATE";
  pg::PreparedBatch batch(tx);
  const size_t head =
      batch.Add(for_update ? kSelectReceiptForUpdate : kSelectReceipt, program_id, receipt_id);
  const size_t lines = batch.Add(
      "SELECT line_number, sku, category, quantity_milli, price, amount, discount,"
      " points_spent, points_earned, refunded_quantity_milli"
      " FROM receipt_lines WHERE receipt_id = $1 ORDER BY line_number",
      receipt_id);
  const size_t rules = batch.Add(
      "SELECT campaign_id, campaign_version, rule_id, discount, bonus_points,"
      " cashier_message FROM receipt_campaigns WHERE receipt_id = $1 ORDER BY position",
      receipt_id);
  const size_t rule_lines = batch.Add(
      "SELECT c.position, l.n, l.d, l.b FROM receipt_campaigns c,"
      " unnest(c.line_numbers, c.line_discounts, c.line_bonus_points)"
      " AS l(n, d, b) WHERE c.receipt_id = $1 ORDER BY c.position, l.n",
      receipt_id);
  const size_t promo_codes = batch.Add(kSelectReceiptPromoCodes, receipt_id);
  const size_t certificates = batch.Add(kSelectReceiptCertificates, receipt_id);
  const size_t gifts = batch.Add(kSelectReceiptGifts, receipt_id);
  const size_t actions = batch.Add(kSelectReceiptActions, receipt_id);
  const std::vector<pqxx::result> results = batch.Run();

  if (results[head].empty()) return std::nullopt;
  const pqxx::row& row = results[head][0];
  Receipt receipt;
  receipt.receipt_id = row[0].as<std::string>();
  receipt.program_id = row[1].as<std::string>();
  receipt.store_id = row[2].as<std::string>();
  receipt.receipt_number = row[3].as<std::string>();
  receipt.card_number = row[4].as<std::string>();
  receipt.state = StateFromName(row[5].as<std::string>());
  receipt.calculation = row[6].as<int32_t>();
  receipt.hold_id = row[7].as<std::string>();
  receipt.total_amount = row[8].as<int64_t>();
  receipt.max_points_payable = row[9].as<int64_t>();
  receipt.points_spent = row[10].as<int64_t>();
  receipt.points_earned = row[11].as<int64_t>();
  receipt.point_value = row[12].as<int64_t>();
  receipt.no_loyalty_reason = static_cast<NoLoyaltyReason>(row[13].as<int>());
  receipt.activate_at = OptionalTime(row[14]);
  receipt.expire_at = OptionalTime(row[15]);
  receipt.balance = Balance{row[16].as<int64_t>(), row[17].as<int64_t>(), row[18].as<int64_t>()};
  receipt.create_time = absl::FromUnixMicros(row[19].as<int64_t>());
  receipt.confirm_time = OptionalTime(row[20]);
  receipt.partner_id = row[21].as<std::string>();
  receipt.budget_reserved = row[22].as<bool>();
  receipt.taken_time = OptionalTime(row[23]);
  receipt.cancel_time = OptionalTime(row[24]);

  for (const auto& line : results[lines]) {
    receipt.lines.push_back(PricedLine{.line_number = line[0].as<int32_t>(),
                                       .sku = line[1].as<std::string>(),
                                       .category = line[2].as<std::string>(),
                                       .quantity_milli = line[3].as<int64_t>(),
                                       .price = line[4].as<int64_t>(),
                                       .amount = line[5].as<int64_t>(),
                                       .discount = line[6].as<int64_t>(),
                                       .points_spent = line[7].as<int64_t>(),
                                       .points_earned = line[8].as<int64_t>(),
                                       .refunded_quantity_milli = line[9].as<int64_t>()});
  }
  for (const auto& rule : results[rules]) {
    receipt.applied_campaigns.push_back(AppliedRule{.campaign_id = rule[0].as<std::string>(),
                                                    .campaign_version = rule[1].as<int64_t>(),
                                                    .rule_id = rule[2].as<std::string>(),
                                                    .discount = rule[3].as<int64_t>(),
                                                    .bonus_points = rule[4].as<int64_t>(),
                                                    .cashier_message = rule[5].as<std::string>()});
  }
  for (const auto& line : results[rule_lines]) {
    const auto position = static_cast<size_t>(line[0].as<int>());
    if (position >= receipt.applied_campaigns.size()) continue;
    receipt.applied_campaigns[position].lines.push_back(
        {.line_number = line[1].as<int32_t>(),
         .discount = line[2].as<int64_t>(),
         .bonus_points = line[3].as<int64_t>()});
  }
  ReadReceiptPromoCodes(results[promo_codes], receipt);
  ReadReceiptCertificates(results[certificates], receipt);
  ReadReceiptGifts(results[gifts], receipt);
  ReadReceiptActions(results[actions], receipt);
  return receipt;
}

// Store-bound credentials see their own store's receipts only.
bool VisibleTo(const Receipt& receipt, const std::string& bound_store_id) {
  return bound_store_id.empty() || receipt.store_id == bound_store_id;
}

absl::Status ReceiptNotFound(const std::string& receipt_id) {
  return absl::NotFoundError(absl::StrCat("receipt ", receipt_id, " not found"));
}

std::optional<Refund> LoadRefund(pg::Tx& tx, const std::string& program_id,
                                 const std::string& where, const std::string& key) {
  pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT f.refund_id::text, f.receipt_id::text, r.store_id::text,"
                                  " r.card_number, f.state, f.amount, f.points_to_reverse,"
                                  " f.points_to_return, f.points_reversed, f.balance_available,"
                                  " f.balance_pending, f.balance_held,"
                                  " (extract(epoch FROM f.created_at) * 1000000)::bigint,"
                                  " s.partner_id, f.shortfall_policy, f.negative_floor,"
                                  " f.points_into_negative, f.cancels_receipt"
                                  " FROM refunds f JOIN receipts r USING (receipt_id)"
                                  " JOIN stores s ON s.store_id = r.store_id"
                                  " WHERE f.program_id = $1 AND ",
                                  where),
                     program_id, key);
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  Refund refund;
  refund.refund_id = row[0].as<std::string>();
  refund.receipt_id = row[1].as<std::string>();
  refund.store_id = row[2].as<std::string>();
  refund.card_number = row[3].as<std::string>();
  refund.state = row[4].as<std::string>() == "DONE" ? RefundState::kDone : RefundState::kPending;
  refund.plan.amount = row[5].as<int64_t>();
  refund.plan.points_to_reverse = row[6].as<int64_t>();
  refund.plan.points_to_return = row[7].as<int64_t>();
  refund.points_reversed = row[8].as<int64_t>();
  refund.balance = Balance{row[9].as<int64_t>(), row[10].as<int64_t>(), row[11].as<int64_t>()};
  refund.create_time = absl::FromUnixMicros(row[12].as<int64_t>());
  refund.partner_id = row[13].as<std::string>();
  // The column's CHECK admits only known names.
  refund.shortfall_policy =
      ParseRefundShortfallPolicy(row[14].as<std::string>()).value_or(RefundShortfallPolicy::kCap);
  refund.negative_floor = row[15].as<int64_t>();
  refund.points_into_negative = row[16].as<int64_t>();
  refund.cancels_receipt = row[17].as<bool>();
  for (const auto& line :
       tx.exec_params("SELECT line_number, quantity_milli, amount, points_earned, points_spent"
                      " FROM refund_lines WHERE refund_id = $1 ORDER BY line_number",
                      refund.refund_id)) {
    refund.plan.lines.push_back(RefundLineResult{.line_number = line[0].as<int32_t>(),
                                                 .quantity_milli = line[1].as<int64_t>(),
                                                 .amount = line[2].as<int64_t>(),
                                                 .points_earned = line[3].as<int64_t>(),
                                                 .points_spent = line[4].as<int64_t>()});
  }
  LoadRefundCertificates(tx, refund);
  return refund;
}

// The columns of pos_settings a PosSettings holds, in ReadSettings order.
constexpr char kSettingsColumns[] =
    "accrual_rate_bp, max_redeem_share_bp, point_value, activation_delay_seconds,"
    " points_lifetime_days, refund_shortfall_policy, refund_negative_floor";

PosSettings ReadSettings(const pqxx::row& row) {
  return PosSettings{.accrual_rate_bp = row[0].as<int32_t>(),
                     .max_redeem_share_bp = row[1].as<int32_t>(),
                     .point_value = row[2].as<int64_t>(),
                     .activation_delay_seconds = row[3].as<int64_t>(),
                     .points_lifetime_days = row[4].as<int32_t>(),
                     // The column's CHECK admits only known names.
                     .refund_shortfall_policy = ParseRefundShortfallPolicy(row[5].as<std::string>())
                                                    .value_or(RefundShortfallPolicy::kCap),
                     .refund_negative_floor = row[6].as<int64_t>()};
}

// The program's settings, or the defaults when it has none.
PosSettings LoadSettings(pg::Tx& tx, const std::string& program_id) {
  pqxx::result rows = tx.exec_params(
      absl::StrCat("SELECT ", kSettingsColumns, " FROM pos_settings WHERE program_id = $1"),
      program_id);
  return rows.empty() ? DefaultSettings() : ReadSettings(rows[0]);
}

}  // namespace

PosSettings DefaultSettings() {
  return PosSettings{.accrual_rate_bp = 0, .max_redeem_share_bp = 0, .point_value = 100};
}

absl::StatusOr<Store> PosStore::CreateStore(const std::string& program_id, const Store& store,
                                            const std::string& request_id) {
  Store created;
  auto attempt = [&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous =
          tx.exec_params(absl::StrCat("SELECT ", kStoreColumns,
                                      " FROM stores WHERE program_id = $1 AND request_id = $2"),
                         program_id, request_id);
      if (!previous.empty()) {
        created = StoreFromRow(previous[0]);
        return absl::OkStatus();
      }
    }
    RETURN_IF_ERROR(CheckStoreReferences(tx, program_id, store, nullptr, "store"));
    pqxx::row row = tx.exec_params1(
        absl::StrCat("INSERT INTO stores (store_id, program_id, name, city, request_id,"
                     " partner_id, store_type_id, city_id, sales_channel_id, address, time_zone)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
                     kStoreColumns),
        NewUuid(), program_id, store.name, store.city,
        request_id.empty() ? std::optional<std::string>() : request_id, store.partner_id,
        store.store_type_id, store.city_id, store.sales_channel_id, store.address,
        store.time_zone);
    created = StoreFromRow(row);
    AppendStoreChanged(tx, program_id, created);
    return absl::OkStatus();
  };
  absl::Status status = pool_.TransactIdempotent(attempt);
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<Store> PosStore::GetStore(const std::string& program_id,
                                         const std::string& store_id) {
  if (!IsUuid(store_id)) return absl::NotFoundError("no such store");
  std::optional<Store> store;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kStoreColumns,
                                    " FROM stores WHERE program_id = $1 AND store_id = $2"),
                       program_id, store_id);
    if (!rows.empty()) {
      store = StoreFromRow(rows[0]);
    }
    return absl::OkStatus();
  }, pg::Isolation::kAutocommit);
  if (!status.ok()) return status;
  if (!store) return absl::NotFoundError(absl::StrCat("store ", store_id, " not found"));
  return *store;
}

absl::StatusOr<Store> PosStore::UpdateStore(const std::string& program_id,
                                            const std::string& store_id,
                                            const std::function<absl::Status(Store&)>& change) {
  if (!IsUuid(store_id)) return absl::NotFoundError("no such store");
  Store saved;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kStoreColumns,
                     " FROM stores WHERE program_id = $1 AND store_id = $2 FOR UPDATE"),
        program_id, store_id);
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("store ", store_id, " not found"));
    const Store previous = StoreFromRow(rows[0]);
    saved = previous;
    RETURN_IF_ERROR(change(saved));
    if (saved.partner_id != previous.partner_id) {
      return InvalidField("store.partner_id", "is fixed when the store is created");
    }
    // A retried update finds nothing to change: no write, no second event.
    auto content = [](const Store& s) {
      return std::tie(s.name, s.city, s.store_type_id, s.city_id, s.sales_channel_id, s.address,
                      s.time_zone, s.archived);
    };
    if (content(saved) == content(previous)) {
      saved = previous;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CheckStoreReferences(tx, program_id, saved, &previous, "store"));
    pqxx::row row = tx.exec_params1(
        absl::StrCat("UPDATE stores SET name = $3, city = $4, store_type_id = $5, city_id = $6,"
                     " sales_channel_id = $7, address = $8, time_zone = $9, archived = $10,"
                     " updated_at = now() WHERE program_id = $1 AND store_id = $2 RETURNING ",
                     kStoreColumns),
        program_id, store_id, saved.name, saved.city, saved.store_type_id, saved.city_id,
        saved.sales_channel_id, saved.address, saved.time_zone, saved.archived);
    saved = StoreFromRow(row);
    AppendStoreChanged(tx, program_id, saved);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return saved;
}

absl::StatusOr<StorePage> PosStore::ListStores(const std::string& program_id, int page_size,
                                               const std::string& page_token,
                                               bool show_archived) {
  std::string after_name;
  std::string after_id;
  if (!page_token.empty()) {
    std::string raw;
    std::vector<std::string> parts;
    if (absl::WebSafeBase64Unescape(page_token, &raw)) {
      parts = absl::StrSplit(raw, absl::MaxSplits('\n', 1));
    }
    if (parts.size() != 2 || !IsUuid(parts[1])) {
      return InvalidField("page_token", "not a token from a previous response");
    }
    after_name = parts[0];
    after_id = parts[1];
  }
  StorePage page;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    page.stores.clear();
    pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT ", kStoreColumns,
                                    " FROM stores WHERE program_id = $1 AND ($5 OR NOT archived)"
                                    " AND ($2 = '' OR (name, store_id) > ($3, $2::uuid))"
                                    " ORDER BY name, store_id LIMIT $4"),
                       program_id, after_id, after_name, page_size + 1, show_archived);
    for (const auto& row : rows) page.stores.push_back(StoreFromRow(row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.stores.size()) > page_size) {
    page.stores.pop_back();
    const Store& last = page.stores.back();
    page.next_page_token = absl::WebSafeBase64Escape(absl::StrCat(last.name, "\n", last.store_id));
  }
  return page;
}

absl::StatusOr<PosSettings> PosStore::GetSettings(const std::string& program_id) {
  PosSettings settings = DefaultSettings();
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    settings = LoadSettings(tx, program_id);
    return absl::OkStatus();
  }, pg::Isolation::kAutocommit);
  if (!status.ok()) return status;
  return settings;
}

absl::StatusOr<absl::Time> PosStore::SettingsUpdateTime(const std::string& program_id) {
  absl::Time time = absl::UnixEpoch();
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows = tx.exec_params(
        "SELECT (extract(epoch FROM updated_at) * 1000000)::bigint"
        " FROM pos_settings WHERE program_id = $1",
        program_id);
    if (!rows.empty()) time = absl::FromUnixMicros(rows[0][0].as<int64_t>());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return time;
}

absl::StatusOr<PosSettings> PosStore::UpdateSettings(
    const std::string& program_id, const std::function<absl::Status(PosSettings&)>& change) {
  PosSettings settings;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // Make sure a row exists to lock, then change it under the lock.
    tx.exec_params(
        "INSERT INTO pos_settings (program_id, accrual_rate_bp, max_redeem_share_bp,"
        " point_value, activation_delay_seconds, points_lifetime_days)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (program_id) DO NOTHING",
        program_id, DefaultSettings().accrual_rate_bp, DefaultSettings().max_redeem_share_bp,
        DefaultSettings().point_value, DefaultSettings().activation_delay_seconds,
        DefaultSettings().points_lifetime_days);
    pqxx::row row =
        tx.exec_params1(absl::StrCat("SELECT ", kSettingsColumns,
                                     " FROM pos_settings WHERE program_id = $1 FOR UPDATE"),
                        program_id);
    settings = ReadSettings(row);
    if (absl::Status changed = change(settings); !changed.ok()) return changed;
    tx.exec_params(
        "UPDATE pos_settings SET accrual_rate_bp = $2, max_redeem_share_bp = $3,"
        " point_value = $4, activation_delay_seconds = $5, points_lifetime_days = $6,"
        " refund_shortfall_policy = $7, refund_negative_floor = $8,"
        " updated_at = now() WHERE program_id = $1",
        program_id, settings.accrual_rate_bp, settings.max_redeem_share_bp, settings.point_value,
        settings.activation_delay_seconds, settings.points_lifetime_days,
        std::string(RefundShortfallPolicyName(settings.refund_shortfall_policy)),
        settings.refund_negative_floor);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return settings;
}

absl::Status PosStore::CheckStore(const std::string& program_id, const std::string& store_id) {
  absl::StatusOr<Store> store = GetStore(program_id, store_id);
  return store.status();
}

absl::StatusOr<std::optional<Receipt>> PosStore::FindByNumber(const std::string& program_id,
                                                              const std::string& store_id,
                                                              const std::string& receipt_number) {
  std::optional<Receipt> receipt;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    pqxx::result rows = tx.exec_params(
        "SELECT receipt_id::text FROM receipts"
        " WHERE program_id = $1 AND store_id = $2 AND receipt_number = $3",
        program_id, store_id, receipt_number);
    if (!rows.empty()) {
      receipt = LoadReceipt(tx, program_id, rows[0][0].as<std::string>(), false);
    }
    return absl::OkStatus();
  }, pg::Isolation::kAutocommit);
  if (!status.ok()) return status;
  return receipt;
}

absl::StatusOr<Receipt> PosStore::Get(const std::string& program_id,
                                      const std::string& receipt_id) {
  if (!IsUuid(receipt_id)) return InvalidField("receipt_id", "not a receipt id");
  std::optional<Receipt> receipt;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    receipt = LoadReceipt(tx, program_id, receipt_id, false);
    return absl::OkStatus();
  }, pg::Isolation::kAutocommit);
  if (!status.ok()) return status;
  if (!receipt) return ReceiptNotFound(receipt_id);
  return *receipt;
}

absl::Status PosStore::BeginRecalculation(const std::string& program_id,
                                          const std::string& receipt_id, int32_t calculation) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result claimed = tx.exec_params(
        "UPDATE receipts SET calculation = calculation + 1, hold_id = ''"
        " WHERE program_id = $1 AND receipt_id = $2 AND state = 'CALCULATED'"
        " AND calculation = $3",
        program_id, receipt_id, calculation);
    if (claimed.affected_rows() != 1) {
      return absl::AbortedError("the receipt changed while it was being calculated; retry");
    }
    ClearReceiptCertificateHolds(tx, receipt_id);
    return absl::OkStatus();
  });
}

namespace {

// The receipt's lines and the campaign rules that priced it, one
// statement per table whatever their number: a 30-line receipt under 20
// campaigns has hundreds of rule lines, and a round trip each made saving
// the calculation the costliest step of pricing (tools/bench pos).
void InsertReceiptRows(pg::Tx& tx, const Receipt& receipt) {
  std::vector<int64_t> numbers, quantities, prices, amounts, discounts, spent, earned;
  std::vector<std::string> skus, categories;
  for (const PricedLine& line : receipt.lines) {
    numbers.push_back(line.line_number);
    skus.push_back(line.sku);
    categories.push_back(line.category);
    quantities.push_back(line.quantity_milli);
    prices.push_back(line.price);
    amounts.push_back(line.amount);
    discounts.push_back(line.discount);
    spent.push_back(line.points_spent);
    earned.push_back(line.points_earned);
  }
  pg::ExecPrepared(tx,
                   "INSERT INTO receipt_lines (receipt_id, line_number, sku, category,"
                   " quantity_milli, price, amount, discount, points_spent, points_earned)"
                   " SELECT $1::uuid, n, s, c, q, p, a, d, ps, pe FROM unnest($2::bigint[],"
                   " $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],"
                   " $8::bigint[], $9::bigint[], $10::bigint[]) AS u(n, s, c, q, p, a, d, ps, pe)",
                   receipt.receipt_id, pg::IntArray(numbers), pg::TextArray(skus),
                   pg::TextArray(categories), pg::IntArray(quantities), pg::IntArray(prices),
                   pg::IntArray(amounts), pg::IntArray(discounts), pg::IntArray(spent),
                   pg::IntArray(earned));
  if (receipt.applied_campaigns.empty()) return;
  std::vector<int64_t> positions, versions, rule_discounts, rule_points;
  std::vector<std::string> campaign_ids, rule_ids, messages;
  // Each rule's line shares as array literals, one element per rule: cast
  // back to arrays row by row, since unnest would flatten a 2-D array.
  std::vector<std::string> line_numbers, line_discounts, line_points;
  std::vector<int64_t> numbers_of_rule, discounts_of_rule, points_of_rule;
  for (size_t position = 0; position < receipt.applied_campaigns.size(); ++position) {
    const AppliedRule& rule = receipt.applied_campaigns[position];
    positions.push_back(static_cast<int64_t>(position));
    campaign_ids.push_back(rule.campaign_id);
    versions.push_back(rule.campaign_version);
    rule_ids.push_back(rule.rule_id);
    rule_discounts.push_back(rule.discount);
    rule_points.push_back(rule.bonus_points);
    messages.push_back(rule.cashier_message);
    numbers_of_rule.clear();
    discounts_of_rule.clear();
    points_of_rule.clear();
    for (const AppliedRule::Line& line : rule.lines) {
      numbers_of_rule.push_back(line.line_number);
      discounts_of_rule.push_back(line.discount);
      points_of_rule.push_back(line.bonus_points);
    }
    line_numbers.push_back(pg::IntArray(numbers_of_rule));
    line_discounts.push_back(pg::IntArray(discounts_of_rule));
    line_points.push_back(pg::IntArray(points_of_rule));
  }
  pg::ExecPrepared(tx,
                   "INSERT INTO receipt_campaigns (receipt_id, position, campaign_id,"
                   " campaign_version, rule_id, discount, bonus_points, cashier_message,"
                   " line_numbers, line_discounts, line_bonus_points)"
                   " SELECT $1::uuid, p, c, v, r, d, b, m, ln::integer[], ld::bigint[],"
                   " lb::bigint[] FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[],"
                   " $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[])"
                   " AS u(p, c, v, r, d, b, m, ln, ld, lb)",
                   receipt.receipt_id, pg::IntArray(positions), pg::TextArray(campaign_ids),
                   pg::IntArray(versions), pg::TextArray(rule_ids), pg::IntArray(rule_discounts),
                   pg::IntArray(rule_points), pg::TextArray(messages), pg::TextArray(line_numbers),
                   pg::TextArray(line_discounts), pg::TextArray(line_points));
}

// Records a refund PENDING with `plan` (already counted into the receipt's
// lines' refunded quantities by PlanRefund), the certificates' shares and
// the program's shortfall policy of this moment (migration 0013). Without
// a request id it is the receipt's cancel refund (POS-5).
Refund RecordRefund(pg::Tx& tx, const std::string& program_id, Receipt& receipt,
                    const std::optional<std::string>& request_id, RefundPlan plan) {
  const PosSettings settings = LoadSettings(tx, program_id);
  Refund created;
  created.shortfall_policy = settings.refund_shortfall_policy;
  created.negative_floor = RefundFloor(settings);
  created.refund_id = NewUuid();
  created.receipt_id = receipt.receipt_id;
  created.store_id = receipt.store_id;
  created.partner_id = receipt.partner_id;
  created.card_number = receipt.card_number;
  created.cancels_receipt = !request_id.has_value();
  created.plan = std::move(plan);
  created.certificates =
      PlanCertificateRefund(receipt.lines, receipt.point_value, receipt.certificates);
  pqxx::row row = tx.exec_params1(
      "INSERT INTO refunds (refund_id, program_id, receipt_id, request_id, state, amount,"
      " points_to_reverse, points_to_return, shortfall_policy, negative_floor, cancels_receipt)"
      " VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9, $10)"
      " RETURNING (extract(epoch FROM created_at) * 1000000)::bigint",
      created.refund_id, program_id, created.receipt_id, request_id, created.plan.amount,
      created.plan.points_to_reverse, created.plan.points_to_return,
      std::string(RefundShortfallPolicyName(created.shortfall_policy)), created.negative_floor,
      created.cancels_receipt);
  created.create_time = absl::FromUnixMicros(row[0].as<int64_t>());
  for (const RefundLineResult& line : created.plan.lines) {
    tx.exec_params(
        "INSERT INTO refund_lines (refund_id, line_number, quantity_milli, amount,"
        " points_earned, points_spent) VALUES ($1, $2, $3, $4, $5, $6)",
        created.refund_id, line.line_number, line.quantity_milli, line.amount, line.points_earned,
        line.points_spent);
    tx.exec_params(
        "UPDATE receipt_lines SET refunded_quantity_milli = refunded_quantity_milli + $3"
        " WHERE receipt_id = $1 AND line_number = $2",
        created.receipt_id, line.line_number, line.quantity_milli);
  }
  SaveRefundCertificates(tx, created);
  return created;
}

}  // namespace

absl::Status PosStore::SaveCalculation(const Receipt& receipt) {
  absl::Status saved = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    if (receipt.calculation == 1) {
      tx.exec_params(
          "INSERT INTO receipts (receipt_id, program_id, store_id, receipt_number,"
          " card_number, state, calculation, hold_id, total_amount, max_points_payable,"
          " points_spent, points_earned, point_value, no_loyalty_reason, activate_at,"
          " expire_at, balance_available, balance_pending, balance_held, created_at, taken_at,"
          " budget_reserved)"
          " VALUES ($1, $2, $3, $4, $5, 'CALCULATED', 1, $6, $7, $8, $9, $10, $11, $12,"
          " ('epoch'::timestamptz + $13::bigint * interval '1 microsecond'), ('epoch'::timestamptz "
          "+ $14::bigint * interval '1 microsecond'),"
          " $15, $16, $17, ('epoch'::timestamptz + $18::bigint * interval '1 microsecond'),"
          " ('epoch'::timestamptz + $19::bigint * interval '1 microsecond'), $20)",
          receipt.receipt_id, receipt.program_id, receipt.store_id, receipt.receipt_number,
          receipt.card_number, receipt.hold_id, receipt.total_amount, receipt.max_points_payable,
          receipt.points_spent, receipt.points_earned, receipt.point_value,
          static_cast<int>(receipt.no_loyalty_reason), TimeParam(receipt.activate_at),
          TimeParam(receipt.expire_at), receipt.balance.available, receipt.balance.pending,
          receipt.balance.held, absl::ToUnixMicros(receipt.create_time),
          TimeParam(receipt.taken_time), receipt.budget_reserved);
    } else {
      pqxx::result updated = tx.exec_params(
          "UPDATE receipts SET card_number = $3, calculation = $4, hold_id = $5,"
          " total_amount = $6, max_points_payable = $7, points_spent = $8,"
          " points_earned = $9, point_value = $10, no_loyalty_reason = $11,"
          " activate_at = ('epoch'::timestamptz + $12::bigint * interval '1 microsecond'),"
          " expire_at = ('epoch'::timestamptz + $13::bigint * interval '1 microsecond'), "
          "balance_available = $14,"
          " balance_pending = $15, balance_held = $16,"
          " taken_at = ('epoch'::timestamptz + $17::bigint * interval '1 microsecond'),"
          " budget_reserved = $18"
          " WHERE program_id = $1 AND receipt_id = $2 AND state = 'CALCULATED'"
          " AND calculation = $4 AND hold_id = ''",
          receipt.program_id, receipt.receipt_id, receipt.card_number, receipt.calculation,
          receipt.hold_id, receipt.total_amount, receipt.max_points_payable, receipt.points_spent,
          receipt.points_earned, receipt.point_value, static_cast<int>(receipt.no_loyalty_reason),
          TimeParam(receipt.activate_at), TimeParam(receipt.expire_at), receipt.balance.available,
          receipt.balance.pending, receipt.balance.held, TimeParam(receipt.taken_time),
          receipt.budget_reserved);
      if (updated.affected_rows() != 1) {
        return absl::AbortedError("the receipt changed while it was being calculated; retry");
      }
      tx.exec_params("DELETE FROM receipt_lines WHERE receipt_id = $1", receipt.receipt_id);
      tx.exec_params("DELETE FROM receipt_campaigns WHERE receipt_id = $1", receipt.receipt_id);
    }
    InsertReceiptRows(tx, receipt);
    SaveReceiptPromoCodes(tx, receipt);
    SaveReceiptCertificates(tx, receipt);
    SaveReceiptGifts(tx, receipt);
    SaveReceiptActions(tx, receipt);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(saved)) {
    // Two first calculations of one receipt number raced; the other won.
    return absl::AbortedError("another calculation of this receipt number won; retry");
  }
  return saved;
}

absl::StatusOr<Receipt> PosStore::BeginConfirm(const std::string& program_id,
                                               const std::string& bound_store_id,
                                               const std::string& receipt_id,
                                               const std::string& request_id) {
  std::optional<Receipt> receipt;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    if (!request_id.empty()) {
      pqxx::result previous = tx.exec_params(
          "SELECT receipt_id::text FROM receipts"
          " WHERE program_id = $1 AND confirm_request_id = $2",
          program_id, request_id);
      if (!previous.empty() && previous[0][0].as<std::string>() != receipt_id) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "this request id confirmed another receipt");
      }
    }
    receipt = LoadReceipt(tx, program_id, receipt_id, true);
    if (!receipt || !VisibleTo(*receipt, bound_store_id)) return ReceiptNotFound(receipt_id);
    switch (receipt->state) {
      case ReceiptState::kCancelled:
        return absl::FailedPreconditionError("the receipt was cancelled");
      case ReceiptState::kConfirmed:
      case ReceiptState::kConfirming:
        return absl::OkStatus();  // a retry: same outcome as the first
      case ReceiptState::kCalculated:
        break;
    }
    const bool certificate_unheld = std::any_of(
        receipt->certificates.begin(), receipt->certificates.end(),
        [](const ReceiptCertificate& c) { return c.amount > 0 && c.hold_id.empty(); });
    if ((receipt->points_spent > 0 && receipt->hold_id.empty()) || certificate_unheld) {
      return absl::FailedPreconditionError(
          "the receipt is being calculated again; confirm the new calculation");
    }
    tx.exec_params(
        "UPDATE receipts SET state = 'CONFIRMING', confirm_request_id = $3,"
        " confirm_started_at = now() WHERE program_id = $1 AND receipt_id = $2",
        program_id, receipt_id, request_id.empty() ? std::optional<std::string>() : request_id);
    receipt->state = ReceiptState::kConfirming;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *receipt;
}

absl::Status PosStore::RevertConfirm(const std::string& program_id, const std::string& receipt_id) {
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "UPDATE receipts SET state = 'CALCULATED', confirm_request_id = NULL,"
        " confirm_started_at = NULL"
        " WHERE program_id = $1 AND receipt_id = $2 AND state = 'CONFIRMING'",
        program_id, receipt_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ReceiptCertificate>> PosStore::SendBack(const std::string& program_id,
                                                                   const std::string& receipt_id,
                                                                   int32_t calculation) {
  std::vector<ReceiptCertificate> releases;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    pqxx::result sent = tx.exec_params(
        "UPDATE receipts SET state = 'CALCULATED', confirm_request_id = NULL,"
        " confirm_started_at = NULL, calculation = calculation + 1, hold_id = ''"
        " WHERE program_id = $1 AND receipt_id = $2 AND state = 'CONFIRMING'"
        " AND calculation = $3",
        program_id, receipt_id, calculation);
    if (sent.affected_rows() != 1) {
      return absl::AbortedError("the receipt changed while it was being confirmed; confirm again");
    }
    RecordCertificateReleases(tx, program_id, receipt_id);
    releases = LoadCertificateReleases(tx, program_id, receipt_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return releases;
}

absl::StatusOr<std::vector<ReceiptCertificate>> PosStore::PendingReleases(
    const std::string& program_id, const std::string& receipt_id) {
  std::vector<ReceiptCertificate> releases;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    releases = LoadCertificateReleases(tx, program_id, receipt_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return releases;
}

absl::Status PosStore::ForgetReleases(const std::string& program_id,
                                      const std::string& receipt_id,
                                      const std::vector<ReceiptCertificate>& released) {
  std::vector<std::string> hold_ids;
  for (const ReceiptCertificate& certificate : released) hold_ids.push_back(certificate.hold_id);
  if (hold_ids.empty()) return absl::OkStatus();
  return pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    tx.exec_params(
        "DELETE FROM certificate_releases WHERE program_id = $1 AND receipt_id = $2"
        " AND hold_id = ANY($3::text[])",
        program_id, receipt_id, pg::TextArray(hold_ids));
    return absl::OkStatus();
  });
}

absl::StatusOr<Receipt> PosStore::FinishConfirm(const std::string& program_id,
                                                const std::string& receipt_id,
                                                const Balance& balance) {
  std::optional<Receipt> receipt;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    receipt = LoadReceipt(tx, program_id, receipt_id, true);
    if (!receipt) return ReceiptNotFound(receipt_id);
    if (receipt->state == ReceiptState::kConfirmed) return absl::OkStatus();
    if (receipt->state != ReceiptState::kConfirming) {
      return absl::FailedPreconditionError("the receipt is not being confirmed");
    }
    pqxx::row row = tx.exec_params1(
        "UPDATE receipts SET state = 'CONFIRMED', confirmed_at = now(),"
        " balance_available = $3, balance_pending = $4, balance_held = $5"
        " WHERE program_id = $1 AND receipt_id = $2"
        " RETURNING (extract(epoch FROM confirmed_at) * 1000000)::bigint",
        program_id, receipt_id, balance.available, balance.pending, balance.held);
    receipt->state = ReceiptState::kConfirmed;
    receipt->balance = balance;
    receipt->confirm_time = absl::FromUnixMicros(row[0].as<int64_t>());
    // Due with the confirmation, in its transaction: a receipt that is
    // never confirmed runs none.
    MarkActionsDue(tx, *receipt);

    outbox::Append(tx, outbox::StreamFor("pos"), program_id, ReceiptConfirmedEvent(*receipt));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *receipt;
}

absl::StatusOr<Cancellation> PosStore::Cancel(const std::string& program_id,
                                              const std::string& bound_store_id,
                                              const std::string& receipt_id) {
  std::optional<Cancellation> cancellation;
  absl::Status status = pool_.TransactIdempotent([&](pg::Tx& tx) -> absl::Status {
    std::optional<Receipt> receipt = LoadReceipt(tx, program_id, receipt_id, true);
    if (!receipt || !VisibleTo(*receipt, bound_store_id)) return ReceiptNotFound(receipt_id);
    // Read under the receipt's lock: a concurrent cancel that recorded it
    // first has committed by now.
    std::optional<Refund> cancel_refund =
        LoadRefund(tx, program_id, "f.receipt_id = $2::uuid AND f.cancels_receipt", receipt_id);
    switch (receipt->state) {
      case ReceiptState::kCancelled:
        break;  // a retry: the same outcome
      case ReceiptState::kConfirming:
        return FieldError(absl::StatusCode::kFailedPrecondition, "receipt_id",
                          "the receipt is being confirmed; cancel it once confirmed");
      case ReceiptState::kConfirmed: {
        if (cancel_refund) break;  // begun before: finish it
        absl::StatusOr<RefundPlan> plan =
            PlanRefund(receipt->lines, /*requested=*/{}, receipt->point_value);
        if (absl::IsFailedPrecondition(plan.status())) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "receipt_id",
                            "every line of this receipt was already refunded; nothing is left "
                            "to cancel");
        }
        if (!plan.ok()) return plan.status();
        // A refund still being finished would land after the cancel, on a
        // sale the consumers of the cancel event have already taken back.
        if (!tx.exec_params("SELECT 1 FROM refunds WHERE receipt_id = $1 AND state = 'PENDING'",
                            receipt_id)
                 .empty()) {
          return FieldError(absl::StatusCode::kAborted, "receipt_id",
                            "a refund of this receipt is still being finished; cancel again "
                            "shortly");
        }
        cancel_refund = RecordRefund(tx, program_id, *receipt, std::nullopt, *std::move(plan));
        break;
      }
      case ReceiptState::kCalculated: {
        pqxx::row row = tx.exec_params1(
            "UPDATE receipts SET state = 'CANCELLED', cancelled_at = now()"
            " WHERE program_id = $1 AND receipt_id = $2"
            " RETURNING (extract(epoch FROM cancelled_at) * 1000000)::bigint",
            program_id, receipt_id);
        receipt->state = ReceiptState::kCancelled;
        receipt->cancel_time = absl::FromUnixMicros(row[0].as<int64_t>());
        break;
      }
    }
    cancellation = Cancellation{.receipt = *std::move(receipt), .refund = std::move(cancel_refund)};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *std::move(cancellation);
}

absl::StatusOr<Refund> PosStore::BeginRefund(const std::string& program_id,
                                             const std::string& bound_store_id,
                                             const std::string& receipt_id,
                                             const std::string& request_id,
                                             const std::vector<RefundRequestLine>& lines) {
  std::optional<Refund> refund;
  auto attempt = [&](pg::Tx& tx) -> absl::Status {
    refund = LoadRefund(tx, program_id, "f.request_id = $2", request_id);
    if (refund) {
      if (refund->receipt_id != receipt_id) {
        return FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                          "this request id refunded another receipt");
      }
      return absl::OkStatus();
    }
    std::optional<Receipt> receipt = LoadReceipt(tx, program_id, receipt_id, true);
    if (!receipt || !VisibleTo(*receipt, bound_store_id)) return ReceiptNotFound(receipt_id);
    if (receipt->state == ReceiptState::kCancelled) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "receipt_id",
                        "the receipt was cancelled");
    }
    if (receipt->state != ReceiptState::kConfirmed) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "receipt_id",
                        "only a confirmed receipt can be refunded");
    }
    // A cancel being finished has taken every line already; say why.
    if (!tx.exec_params("SELECT 1 FROM refunds WHERE receipt_id = $1 AND cancels_receipt",
                        receipt_id)
             .empty()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "receipt_id",
                        "the receipt is being cancelled");
    }
    absl::StatusOr<RefundPlan> plan = PlanRefund(receipt->lines, lines, receipt->point_value);
    if (!plan.ok()) return plan.status();
    refund = RecordRefund(tx, program_id, *receipt, request_id, *std::move(plan));
    return absl::OkStatus();
  };
  absl::Status status = pool_.TransactIdempotent(attempt);
  if (!status.ok()) return status;
  return *refund;
}

absl::StatusOr<Refund> PosStore::GetRefund(const std::string& program_id,
                                           const std::string& refund_id) {
  std::optional<Refund> refund;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    refund = LoadRefund(tx, program_id, "f.refund_id = $2::uuid", refund_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!refund) return absl::NotFoundError("refund not found");
  return *refund;
}

absl::StatusOr<std::vector<StalledWork>> PosStore::ListStalled(absl::Duration age, int limit) {
  std::vector<StalledWork> work;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) {
    work.clear();
    double seconds = absl::ToDoubleSeconds(age);
    for (const auto& row :
         tx.exec_params("SELECT program_id::text, receipt_id::text FROM receipts"
                        " WHERE state = 'CONFIRMING'"
                        " AND confirm_started_at < now() - $1 * interval '1 second'"
                        " ORDER BY confirm_started_at LIMIT $2",
                        seconds, limit)) {
      work.push_back(StalledWork{StalledWork::Kind::kConfirm, row[0].as<std::string>(),
                                 row[1].as<std::string>()});
    }
    for (const auto& row :
         tx.exec_params("SELECT program_id::text, refund_id::text FROM refunds"
                        " WHERE state = 'PENDING' AND created_at < now() - $1 * interval '1 second'"
                        " ORDER BY created_at LIMIT $2",
                        seconds, limit)) {
      work.push_back(StalledWork{StalledWork::Kind::kRefund, row[0].as<std::string>(),
                                 row[1].as<std::string>()});
    }
    for (const auto& row : tx.exec_params(
             "SELECT program_id::text, receipt_id::text FROM certificate_releases"
             " WHERE created_at < now() - $1 * interval '1 second'"
             " GROUP BY program_id, receipt_id ORDER BY min(created_at) LIMIT $2",
             seconds, limit)) {
      work.push_back(StalledWork{StalledWork::Kind::kCertificateRelease,
                                 row[0].as<std::string>(), row[1].as<std::string>()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return work;
}

absl::StatusOr<Refund> PosStore::FinishRefund(const std::string& program_id,
                                              const std::string& refund_id, int64_t points_reversed,
                                              int64_t points_into_negative,
                                              const Balance& balance) {
  std::optional<Refund> refund;
  absl::Status status = pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    // Locked, so that two finishing retries write one DONE and one event.
    refund = LoadRefund(tx, program_id, "f.refund_id = $2::uuid FOR UPDATE OF f", refund_id);
    if (!refund) return absl::NotFoundError("refund not found");
    if (refund->state == RefundState::kDone) return absl::OkStatus();
    tx.exec_params(
        "UPDATE refunds SET state = 'DONE', points_reversed = $3, balance_available = $4,"
        " balance_pending = $5, balance_held = $6, points_into_negative = $7"
        " WHERE program_id = $1 AND refund_id = $2",
        program_id, refund_id, points_reversed, balance.available, balance.pending, balance.held,
        points_into_negative);
    if (refund->cancels_receipt) {
      // The sale is undone: in this transaction, so the receipt is
      // CANCELLED exactly when its reversal is complete.
      tx.exec_params(
          "UPDATE receipts SET state = 'CANCELLED', cancelled_at = now()"
          " WHERE program_id = $1 AND receipt_id = $2 AND state = 'CONFIRMED'",
          program_id, refund->receipt_id);
    }
    refund->state = RefundState::kDone;
    refund->points_reversed = points_reversed;
    refund->points_into_negative = points_into_negative;
    refund->balance = balance;

    outbox::Append(tx, outbox::StreamFor("pos"), program_id,
                   ReceiptRefundedEvent(*refund, absl::Now()));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *refund;
}

}  // namespace loyalty::pos
