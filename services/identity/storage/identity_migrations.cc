#include "services/identity/storage/identity_migrations.h"

#include "libs/operations/file_store.h"
#include "libs/operations/operation_store.h"
#include "services/identity/storage/identity_store.h"

namespace loyalty::identity {

std::vector<pg::Migration> IdentityServiceMigrations() {
  // Both under 0009 (the number of CLI-9/CLI-14), named so that they sort
  // before 0009_client_erasure and the file tables after the operations
  // they refer to.
  return operations::WithOperationFileTables(
      operations::WithOperationsTables(generated::IdentityMigrations(), "0009_1_operations"),
      "0009_2_operation_files");
}

}  // namespace loyalty::identity
