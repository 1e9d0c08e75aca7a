#pragma once

// The clients an export selects (CLI-9), page by page in ListClients order
// (newest first), never an erased client.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/client.h"
#include "services/identity/domain/client_export.h"

namespace loyalty::identity {

// Where the next page starts: after this client in listing order.
struct ExportCursor {
  absl::Time create_time;
  std::string client_id;
};

struct ExportPage {
  std::vector<Client> clients;
  std::optional<ExportCursor> next;  // none on the last page
};

class ClientExportReader final {
 public:
  explicit ClientExportReader(pg::Pool& pool) : pool_(pool) {}

  // Up to `page_size` clients of the program that `selection` names,
  // starting after `after`. Listed ids of unknown or erased clients are
  // skipped.
  absl::StatusOr<ExportPage> ReadPage(const std::string& program_id,
                                      const ClientSelection& selection,
                                      const std::optional<ExportCursor>& after, int page_size);

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
