#include "services/pos/storage/receipt_gifts.h"

#include <pqxx/pqxx>

#include "libs/pg/array_literal.h"

namespace loyalty::pos {

void SaveReceiptGifts(pg::Tx& tx, const Receipt& receipt) {
  // A first calculation has nothing to replace: most receipts pay no
  // statement here.
  if (receipt.calculation > 1) {
    tx.exec_params("DELETE FROM receipt_gifts WHERE receipt_id = $1", receipt.receipt_id);
  }
  if (receipt.gifts.empty()) return;
  std::vector<int64_t> positions, versions, quantities, prices;
  std::vector<std::string> campaign_ids, rule_ids, skus, names, known;
  for (size_t position = 0; position < receipt.gifts.size(); ++position) {
    const ReceiptGift& gift = receipt.gifts[position];
    positions.push_back(static_cast<int64_t>(position));
    campaign_ids.push_back(gift.campaign_id);
    versions.push_back(gift.campaign_version);
    rule_ids.push_back(gift.rule_id);
    skus.push_back(gift.sku);
    names.push_back(gift.product_name);
    known.push_back(gift.in_catalogue ? "t" : "f");
    quantities.push_back(gift.quantity_milli);
    prices.push_back(gift.price);
  }
  // One statement for all gifts, like the receipt's other rows.
  tx.exec_params(
      "INSERT INTO receipt_gifts (receipt_id, position, campaign_id, campaign_version, rule_id,"
      " sku, product_name, in_catalogue, quantity_milli, price)"
      " SELECT $1::uuid, p, c, v, r, s, n, k::boolean, q, pr FROM unnest($2::bigint[],"
      " $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[],"
      " $10::bigint[]) AS u(p, c, v, r, s, n, k, q, pr)",
      receipt.receipt_id, pg::IntArray(positions), pg::TextArray(campaign_ids),
      pg::IntArray(versions), pg::TextArray(rule_ids), pg::TextArray(skus), pg::TextArray(names),
      pg::TextArray(known), pg::IntArray(quantities), pg::IntArray(prices));
}

const char kSelectReceiptGifts[] =
    "SELECT campaign_id, campaign_version, rule_id, sku, product_name,"
    " in_catalogue, quantity_milli, price FROM receipt_gifts"
    " WHERE receipt_id = $1 ORDER BY position";

void ReadReceiptGifts(const pqxx::result& rows, Receipt& receipt) {
  receipt.gifts.clear();
  for (const auto& row : rows) {
    receipt.gifts.push_back(ReceiptGift{.campaign_id = row[0].as<std::string>(),
                                        .campaign_version = row[1].as<int64_t>(),
                                        .rule_id = row[2].as<std::string>(),
                                        .sku = row[3].as<std::string>(),
                                        .product_name = row[4].as<std::string>(),
                                        .in_catalogue = row[5].as<bool>(),
                                        .quantity_milli = row[6].as<int64_t>(),
                                        .price = row[7].as<int64_t>()});
  }
}

}  // namespace loyalty::pos
