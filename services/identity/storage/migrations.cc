#include "services/identity/storage/migrations.h"

#include "libs/operations/file_store.h"
#include "libs/operations/operation_store.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {

std::vector<pg::Migration> IdentityServiceMigrations() {
  return operations::WithOperationFileTables(
      operations::WithOperationsTables(generated::IdentityMigrations(), "0008_a_operations"),
      "0008_b_operation_files");
}

}  // namespace loyalty::identity
