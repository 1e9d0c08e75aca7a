// identity: programs, clients, tags, custom attributes, consents,
// verifications, API keys, operators.
#include <cstdlib>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/operations/file_store.h"
#include "libs/operations/metrics.h"
#include "libs/operations/operations_api.h"
#include "libs/operations/runner.h"
#include "libs/rpc/server.h"
#include "libs/service/runtime.h"
#include "services/identity/api/api_keys_api.h"
#include "services/identity/api/attributes_api.h"
#include "services/identity/api/audit_api.h"
#include "services/identity/api/cards_card_owners.h"
#include "services/identity/api/cards_client_cards.h"
#include "services/identity/api/client_erasure_api.h"
#include "services/identity/api/client_export_api.h"
#include "services/identity/api/client_merge_api.h"
#include "services/identity/api/client_view_api.h"
#include "services/identity/api/consents_api.h"
#include "services/identity/api/identity_api.h"
#include "services/identity/api/import_api.h"
#include "services/identity/api/operators_api.h"
#include "services/identity/api/tags_api.h"
#include "services/identity/domain/access_token.h"
#include "services/identity/storage/api_key_store.h"
#include "services/identity/storage/attribute_store.h"
#include "services/identity/storage/client_erasure_store.h"
#include "services/identity/storage/client_export_reader.h"
#include "services/identity/storage/identity_migrations.h"
#include "services/identity/storage/identity_store.h"
#include "services/identity/storage/operator_store.h"
#include "services/identity/storage/tag_store.h"

int main() {
  loyalty::rpc::BlockTerminationSignals();
  loyalty::EnvReader env;
  // Read before Create, whose env.Finish() reports them with the other settings.
  const std::string cards_address = loyalty::ReadPeerAddress(env, "cards");
  const std::string notifications_address = loyalty::ReadPeerAddress(env, "notifications");
  std::string code_key = env.String("LOYALTY_VERIFICATION_CODE_KEY", "");
  loyalty::identity::VerificationLimits limits;
  limits.code_lifetime = env.Duration("LOYALTY_VERIFICATION_CODE_LIFETIME", limits.code_lifetime);
  limits.min_resend_interval =
      env.Duration("LOYALTY_VERIFICATION_RESEND_INTERVAL", limits.min_resend_interval);
  // identity alone signs and checks operator tokens; see README "Operators".
  const std::string token_keys = env.RequiredString("LOYALTY_TOKEN_KEYS");
  const absl::Duration token_lifetime = env.Duration("LOYALTY_TOKEN_LIFETIME", absl::Minutes(15));
  // How often merges whose cards step failed are retried (and how old they
  // must be first).
  const absl::Duration merge_retry_interval =
      env.Duration("LOYALTY_CLIENT_MERGE_RETRY_INTERVAL", absl::Seconds(30));
  const absl::Duration operations_interval =
      env.Duration("LOYALTY_OPERATIONS_POLL_INTERVAL", absl::Seconds(1));
  // Where an XLSX import's file is copied to be read (a zip needs random
  // access): up to the largest upload (256 MiB) per running import.
  const std::string import_temp_dir = env.String("LOYALTY_IMPORT_TEMP_DIR", "");
  const loyalty::operations::FileRetentionConfig file_retention =
      loyalty::operations::ReadFileRetention(env);
  const std::vector<loyalty::pg::Migration> migrations =
      loyalty::identity::IdentityServiceMigrations();
  auto runtime = loyalty::service::Runtime::Create(env, "identity", migrations);
  if (!runtime.ok()) return loyalty::service::StartupFailure(runtime.status());
  if (absl::Status valid = file_retention.Validate(); !valid.ok()) {
    return loyalty::service::StartupFailure(valid);
  }
  auto signing_keys = loyalty::identity::ParseSigningKeys(token_keys);
  if (!signing_keys.ok()) return loyalty::service::StartupFailure(signing_keys.status());
  if (token_lifetime <= absl::ZeroDuration() || token_lifetime > absl::Hours(12)) {
    return loyalty::service::StartupFailure(
        absl::InvalidArgumentError("LOYALTY_TOKEN_LIFETIME must be in (0, 12h]"));
  }
  loyalty::identity::TokenSigner signer(*std::move(signing_keys), token_lifetime);

  loyalty::identity::IdentityStore store((*runtime)->pool());
  loyalty::identity::OperatorStore operator_store((*runtime)->pool());
  loyalty::identity::ApiKeyStore api_key_store((*runtime)->pool());
  auto card_owners = loyalty::identity::CardsCardOwners::Dial(cards_address);
  loyalty::identity::IdentityApi identity_api(store, *card_owners);
  loyalty::identity::AccessApi access_api(store, operator_store, signer);
  loyalty::identity::OperatorsApi operators_api(operator_store, signer);
  loyalty::identity::ApiKeysApi api_keys_api(api_key_store);
  loyalty::identity::TagStore tag_store((*runtime)->pool());
  loyalty::identity::TagsApi tags_api(tag_store);
  (*runtime)->host().AddService(&identity_api);
  (*runtime)->host().AddService(&access_api);
  (*runtime)->host().AddService(&operators_api);
  (*runtime)->host().AddService(&api_keys_api);
  (*runtime)->host().AddService(&tags_api);
  loyalty::identity::AttributeStore attribute_store((*runtime)->pool());
  loyalty::identity::AttributesApi attributes_api(attribute_store);
  (*runtime)->host().AddService(&attributes_api);

  if (code_key.empty()) {
    // Codes stay safe (hashed under a random key), but pending codes die
    // with the process and replicas cannot check each other's codes.
    loyalty::log::Warn(
        "LOYALTY_VERIFICATION_CODE_KEY is not set: using a random key of this process; set it "
        "(the same on every replica) in production");
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
    code_key.assign(reinterpret_cast<const char*>(bytes), sizeof(bytes));
  }
  auto clock = [] { return absl::Now(); };
  loyalty::identity::ConsentStore consent_store((*runtime)->pool());
  loyalty::identity::ConsentsApi consents_api(consent_store, clock);
  loyalty::identity::VerificationStore verification_store((*runtime)->pool());
  auto sender = loyalty::identity::NotificationsMessageSender::Dial(notifications_address);
  loyalty::identity::VerificationsApi verifications_api(verification_store, *sender, limits,
                                                        std::move(code_key), clock);
  (*runtime)->host().AddService(&consents_api);
  (*runtime)->host().AddService(&verifications_api);

  // Client merge (CLI-7) and client view (CLI-10); see README "Merging clients".
  auto client_cards = loyalty::identity::CardsClientCards::Dial(cards_address);
  loyalty::identity::ClientMergeStore merge_store((*runtime)->pool());
  loyalty::identity::ClientMerger merger(merge_store, *client_cards);
  loyalty::identity::ClientMergeApi merge_api(merger, store);
  loyalty::identity::ClientViewApi view_api(store, consent_store, tag_store, attribute_store,
                                           *client_cards);
  (*runtime)->host().AddService(&merge_api);
  (*runtime)->host().AddService(&view_api);
  (*runtime)->host().AddBackgroundTask(
      "client-merge-finisher", [&merger, merge_retry_interval](std::stop_token stop) {
        merger.Run(std::move(stop), merge_retry_interval);
      });
  loyalty::identity::AuditStore audit_store((*runtime)->pool());
  loyalty::identity::AuditApi audit_api(audit_store);
  (*runtime)->host().AddService(&audit_api);
  // Client exports (CLI-9) and imports (CLI-8) run as operations, shared
  // among replicas through the operations table. One item a chunk: an
  // import item is a batch of 10,000 rows or the whole apply, and progress
  // shows per item. Erasure (CLI-14).
  namespace operations = loyalty::operations;
  operations::OperationStore operation_store((*runtime)->pool(), "identity");
  operations::OperationMetrics operation_metrics((*runtime)->registry());
  operations::OperationFileStore operation_files((*runtime)->pool(),
                                                 {.retention = file_retention.retention});
  operations::OperationsApi operations_api(operation_store, operation_metrics, &operation_files);
  loyalty::identity::ClientExportReader export_reader((*runtime)->pool());
  loyalty::identity::ClientExportApi export_api(operation_store, tag_store);
  loyalty::identity::ClientExportHandler exports(
      {.reader = export_reader, .files = operation_files});
  loyalty::identity::ImportStore import_store((*runtime)->pool());
  loyalty::identity::ImportApi import_api(import_store, operation_store, attribute_store,
                                          import_temp_dir);
  loyalty::identity::ClientImportHandler client_imports({.imports = import_store,
                                                         .identity = store,
                                                         .attributes = attribute_store,
                                                         .files = operation_files,
                                                         .clock = clock,
                                                         .temp_dir = import_temp_dir});
  operations::OperationRunner operation_runner(
      operation_store, operation_metrics, {.chunk_size = 1, .poll_interval = operations_interval});
  operation_runner.Register(loyalty::identity::kClientExportKind, exports);
  operation_runner.Register(loyalty::identity::kClientImportKind, client_imports);
  loyalty::identity::ClientErasureStore erasure_store((*runtime)->pool());
  loyalty::identity::ClientErasureApi erasure_api(erasure_store);
  (*runtime)->host().AddService(&operations_api);
  (*runtime)->host().AddService(&export_api);
  (*runtime)->host().AddService(&import_api);
  (*runtime)->host().AddService(&erasure_api);
  (*runtime)->host().AddBackgroundTask("operation-file-expiry", [&](std::stop_token stop) {
    operations::RunFileExpiry(operation_files, operation_metrics, std::move(stop),
                              file_retention.check_interval);
  });
  (*runtime)->host().AddBackgroundTask("operations", [&operation_runner](std::stop_token stop) {
    operation_runner.Run(std::move(stop));
  });
  (*runtime)->EnableOutboxRelay();
  return (*runtime)->Run();
}
