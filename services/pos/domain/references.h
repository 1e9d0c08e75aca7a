#pragma once

// POS references (POS-8): the lists a store's attributes come from, and the
// rules an entry or a store must satisfy before it is stored. Pure logic:
// storage checks that named entries exist.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loyalty::pos {

enum class ReferenceKind { kPartner, kStoreType, kSalesChannel, kCity };

// The stored name of a kind ("partner", "store_type", ...).
absl::string_view KindName(ReferenceKind kind);

// An entry of a reference list.
struct Reference {
  std::string id;
  std::string name;
  std::string legal_name;  // partners
  std::string tax_id;      // partners
  std::string region;      // cities
  std::string time_zone;   // cities
  bool archived = false;
  absl::Time create_time;
  absl::Time update_time;
};

// A caller-chosen id (an entry of a reference list, a category, a sku):
// 1..128 characters without control characters, surrounding white space
// or '/' (it is a path segment of the HTTP API). Partner ids stay the free
// text stores carried before POS-8, which allowed any printable text; '/'
// never reached a ledger account, so refusing it keeps them compatible.
absl::Status ValidateCode(absl::string_view id, absl::string_view field);

// Free text people type (names, addresses): UTF-8 of at most `max_chars`
// characters without control characters; `required` refuses empty.
absl::Status ValidateText(absl::string_view text, size_t max_chars, bool required,
                          absl::string_view field);

// Checks `reference` (after trimming its name) for a list of `kind`;
// fields are named under `prefix` ("reference"). Fields of other kinds must
// be empty.
absl::Status ValidateReference(ReferenceKind kind, Reference& reference,
                               absl::string_view prefix);

// A store of a program.
struct Store {
  std::string store_id;
  std::string name;
  std::string city;  // free text for display; city_id names the entry
  absl::Time create_time;
  // Coalition partner owning the store ("" for the program's own); fixed
  // at creation.
  std::string partner_id;
  // Entries of the reference lists; "" for none.
  std::string store_type_id;
  std::string city_id;
  std::string sales_channel_id;
  std::string address;
  std::string time_zone;  // IANA; "" for the program's
  bool archived = false;
  absl::Time update_time;
};

// Checks (after trimming the name) what a store may be stored with; fields
// are named under `prefix` ("store"). Whether the named references exist
// is storage's to check.
absl::Status ValidateStore(Store& store, absl::string_view prefix);

}  // namespace loyalty::pos
