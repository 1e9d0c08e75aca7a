#include "services/cards/storage/points_reader.h"

#include <limits>

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/page_token.h"
#include "libs/common/status_macros.h"
#include "services/cards/storage/operation_rows.h"
#include "services/cards/storage/sql.h"

namespace loyalty::cards {

absl::StatusOr<int64_t> StartOfOperationsPage(const OperationsQuery& query) {
  if (query.start_time && query.end_time && *query.start_time > *query.end_time) {
    return InvalidField("end_time", "must not be before start_time");
  }
  // Postings are numbered in commit order; a page continues below the last
  // posting id it showed.
  return DecodeIdPageToken(query.page_token, std::numeric_limits<int64_t>::max());
}

CardOperation OperationFromRow(const pqxx::row& row) {
  return CardOperation{
      .transfer_id = row[2].as<std::string>(),
      .kind = ParseTransferKind(row[3].as<std::string>()).value_or(TransferKind::kUnspecified),
      .amount = row[1].as<int64_t>(),
      .reference = row[4].as<std::string>(),
      .reason = row[5].as<std::string>(),
      .actor = row[6].as<std::string>(),
      .hold_id = row[7].as<std::string>(),
      .create_time = sql::TimeOf(row[8])};
}

absl::StatusOr<OperationsPage> PointsReader::ListOperations(absl::string_view program_id,
                                                            absl::string_view card_number,
                                                            const OperationsQuery& query) {
  if (card_number.empty()) return InvalidField("card_number", "required");
  RETURN_IF_ERROR(ValidateNoControlCharacters("card_number", card_number));
  ASSIGN_OR_RETURN(const int64_t before, StartOfOperationsPage(query));
  OperationsPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page = OperationsPage();
    std::optional<sql::CardRow> card = sql::FindCard(tx, program_id, card_number);
    if (!card) return FieldError(absl::StatusCode::kNotFound, "card_number", "no such card");
    // One statement, so the balance and the postings come from one
    // snapshot: the balance after a row is the current balance less every
    // posting after it (those newer than the page, then the page's own
    // rows above it).
    pqxx::result rows = tx.exec_params(
        "WITH page AS ("
        "  SELECT p.posting_id, p.amount, t.transfer_id, t.kind, t.reference, t.reason,"
        "         t.actor, COALESCE(t.hold_id, '') AS hold_id,"
        "         ts_to_micros(p.created_at) AS created"
        "  FROM postings p JOIN transfers t"
        "    ON t.program_id = p.program_id AND t.transfer_id = p.transfer_id"
        "  WHERE p.program_id = $1 AND p.account_id = $2::uuid AND p.posting_id < $3"
        "    AND ($4 = '' OR p.created_at >= micros_to_ts(NULLIF($4, '')::bigint))"
        "    AND ($5 = '' OR p.created_at < micros_to_ts(NULLIF($5, '')::bigint))"
        "  ORDER BY p.posting_id DESC LIMIT $6),"
        " newer AS ("
        "  SELECT COALESCE(sum(q.amount), 0)::bigint AS total FROM postings q"
        "  WHERE q.program_id = $1 AND q.account_id = $2::uuid"
        "    AND q.posting_id > (SELECT COALESCE(max(posting_id), 0) FROM page))"
        " SELECT page.posting_id, page.amount, page.transfer_id, page.kind, page.reference,"
        "        page.reason, page.actor, page.hold_id, page.created,"
        "        (SELECT balance FROM accounts"
        "          WHERE program_id = $1 AND account_id = $2::uuid) - newer.total"
        "        - COALESCE(sum(page.amount) OVER (ORDER BY page.posting_id DESC"
        "            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
        " FROM page, newer ORDER BY page.posting_id DESC",
        std::string(program_id), card->account_id, before, sql::OptionalMicros(query.start_time),
        sql::OptionalMicros(query.end_time), query.page_size + 1);
    for (const auto& row : rows) {
      if (page.operations.size() == static_cast<size_t>(query.page_size)) {
        page.next_page_token =
            EncodePageToken(absl::StrCat(rows[query.page_size - 1][0].as<int64_t>()));
        break;
      }
      CardOperation& operation = page.operations.emplace_back(OperationFromRow(row));
      operation.balance_after = row[9].as<int64_t>();
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<ExpiringPage> PointsReader::ListExpiring(absl::string_view program_id,
                                                        absl::Duration within, int page_size,
                                                        absl::string_view page_token) {
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken(page_token));
  }
  const absl::Time now = sql::Truncate(clock_.Now());
  ExpiringPage page;
  RETURN_IF_ERROR(pool_.Transact([&](pg::Tx& tx) -> absl::Status {
    page = ExpiringPage();
    pqxx::result rows = tx.exec_params(
        "SELECT c.number, COALESCE(c.client_id::text, ''), sum(l.remaining)::bigint,"
        "       ts_to_micros(min(l.expire_at))"
        " FROM lots l JOIN cards c ON c.program_id = l.program_id AND c.account_id = l.account_id"
        " WHERE l.program_id = $1 AND l.remaining > 0"
        "   AND l.expire_at > micros_to_ts($2) AND l.expire_at <= micros_to_ts($3)"
        "   AND c.number > $4 AND c.status <> 'DELETED'"
        " GROUP BY c.number, c.client_id ORDER BY c.number LIMIT $5",
        std::string(program_id), sql::Micros(now), sql::Micros(now + within), after, page_size + 1);
    for (const auto& row : rows) {
      if (page.cards.size() == static_cast<size_t>(page_size)) {
        page.next_page_token = EncodePageToken(page.cards.back().card_number);
        break;
      }
      page.cards.push_back(ExpiringPoints{.card_number = row[0].as<std::string>(),
                                          .client_id = row[1].as<std::string>(),
                                          .amount = row[2].as<int64_t>(),
                                          .first_expire_time = sql::TimeOf(row[3])});
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<PartnerSettlement> PointsReader::Settlement(
    absl::string_view program_id, const std::optional<absl::Time>& start_time,
    const std::optional<absl::Time>& end_time) {
  RETURN_IF_ERROR(ValidateSettlementPeriod(start_time, end_time));
  PartnerSettlement out{.start_time = *start_time, .end_time = *end_time};
  RETURN_IF_ERROR(pool_.Transact(
      [&](pg::Tx& tx) -> absl::Status {
        out.activity.clear();
        out.flows.clear();
        for (const auto& row : tx.exec_params(
                 "SELECT partner_id,"
                 "       COALESCE(sum(amount) FILTER (WHERE kind = 'ACCRUAL'), 0)::bigint,"
                 "       COALESCE(sum(amount) FILTER (WHERE kind = 'ACCRUAL_REVERSAL'), 0)::bigint,"
                 "       COALESCE(sum(amount) FILTER (WHERE kind = 'REDEMPTION'), 0)::bigint,"
                 "       COALESCE(sum(amount) FILTER (WHERE kind = 'REDEMPTION_REVERSAL'), 0)"
                 "         ::bigint"
                 " FROM transfers"
                 " WHERE program_id = $1 AND created_at >= micros_to_ts($2)"
                 "   AND created_at < micros_to_ts($3)"
                 "   AND kind IN ('ACCRUAL', 'ACCRUAL_REVERSAL', 'REDEMPTION',"
                 "                'REDEMPTION_REVERSAL')"
                 " GROUP BY partner_id ORDER BY partner_id",
                 std::string(program_id), sql::Micros(*start_time), sql::Micros(*end_time))) {
          out.activity.push_back(PartnerActivity{.partner_id = row[0].as<std::string>(),
                                                 .accrued = row[1].as<int64_t>(),
                                                 .accrual_reversed = row[2].as<int64_t>(),
                                                 .redeemed = row[3].as<int64_t>(),
                                                 .redemption_reversed = row[4].as<int64_t>()});
        }
        // Which lots (and so which issuer's points) each consumption took.
        for (const auto& row : tx.exec_params(
                 "SELECT l.partner_id, t.partner_id,"
                 "       COALESCE(sum(c.amount) FILTER (WHERE t.kind = 'REDEMPTION'), 0)::bigint,"
                 "       COALESCE(sum(c.amount) FILTER (WHERE t.kind = 'ACCRUAL_REVERSAL'), 0)"
                 "         ::bigint"
                 " FROM transfers t"
                 " JOIN lot_consumptions c ON c.program_id = t.program_id"
                 "  AND c.transfer_id = t.transfer_id"
                 " JOIN lots l ON l.lot_id = c.lot_id"
                 " WHERE t.program_id = $1 AND t.created_at >= micros_to_ts($2)"
                 "   AND t.created_at < micros_to_ts($3)"
                 "   AND t.kind IN ('REDEMPTION', 'ACCRUAL_REVERSAL')"
                 "   AND l.partner_id <> t.partner_id"
                 " GROUP BY 1, 2 ORDER BY 1, 2",
                 std::string(program_id), sql::Micros(*start_time), sql::Micros(*end_time))) {
          out.flows.push_back(PartnerFlow{.issuer_partner_id = row[0].as<std::string>(),
                                          .acceptor_partner_id = row[1].as<std::string>(),
                                          .redeemed = row[2].as<int64_t>(),
                                          .reversed = row[3].as<int64_t>()});
        }
        return absl::OkStatus();
      },
      pg::Isolation::kRepeatableRead));
  out.net = NetPartnerFlows(out.flows);
  return out;
}

}  // namespace loyalty::cards
