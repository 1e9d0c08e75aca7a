#pragma once

// What the two operations listings (a card's, a client's) share: the page
// start and the row -> CardOperation mapping. Storage-internal.

#include <cstdint>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "services/cards/storage/points_reader.h"

namespace loyalty::cards {

// Checks the query's period and decodes its page token: the posting id
// the page continues below (the largest id for the first page).
absl::StatusOr<int64_t> StartOfOperationsPage(const OperationsQuery& query);

// Columns 1..8 of an operations row: amount, transfer id, kind, reference,
// reason, actor, hold id, creation micros (column 0 is the posting id).
// `balance_after` is left for the caller.
CardOperation OperationFromRow(const pqxx::row& row);

}  // namespace loyalty::cards
