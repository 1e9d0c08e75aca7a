#pragma once

// PostgreSQL storage of promo codes (schema `campaigns`, migration 0003).

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/pg/pool.h"
#include "services/campaigns/domain/promo_code.h"

namespace loyalty::campaigns {

enum class ReservationState { kReserved = 1, kConsumed = 2, kReleased = 3 };

struct PromoCodeUsage {
  std::string code;
  std::string pool_id;
  int32_t consumed_uses = 0;
  int32_t reserved_uses = 0;  // RESERVED and not expired
  int32_t max_uses = 0;       // 0: unlimited
  bool archived = false;
};

struct Reservation {
  std::string reservation_id;
  std::string code;
  std::string pool_id;
  std::string client_id;
  std::string receipt_reference;
  ReservationState state = ReservationState::kReserved;
  absl::Time expire_time;
  std::string campaign_id;
};

struct ReserveRequest {
  std::string code;  // normalised
  std::string client_id;
  std::string reservation_id;
  std::string receipt_reference;
};

// A code handed to a client by Issue.
struct IssuedCode {
  std::string issue_id;
  std::string pool_id;
  std::string code;
  std::string client_id;
  std::string campaign_id;
  absl::Time issue_time;
};

struct IssueRequest {
  std::string pool_id;
  std::string client_id;
  std::string issue_id;  // the caller's idempotency key
};

struct PoolPage {
  std::vector<PromoCodePool> pools;
  std::string next_page_token;
};

struct CodePage {
  std::vector<PromoCodeUsage> codes;
  std::string next_page_token;
};

struct GenerateResult {
  int32_t generated = 0;
  int64_t code_count = 0;
};

struct ImportError {
  int32_t index = 0;
  std::string code;
  std::string reason;
};

struct ImportResult {
  int32_t imported = 0;
  std::vector<ImportError> errors;
  int64_t code_count = 0;
};

class PromoCodeStore final {
 public:
  // `now` is the clock reservations expire by and validity is checked
  // against (tests move it instead of sleeping); a reservation holds its
  // use for `reservation_ttl` unless consumed.
  PromoCodeStore(pg::Pool& pool, std::function<absl::Time()> now, absl::Duration reservation_ttl)
      : pool_(pool), now_(std::move(now)), reservation_ttl_(reservation_ttl) {}

  // Inserts a validated pool (and a SHARED pool's code) with its
  // PromoCodePoolCreated event. A retry with the same request id returns the
  // first pool and emits nothing. ALREADY_EXISTS naming pool.code when the
  // shared code is taken in the program; NOT_FOUND naming pool.campaign_id
  // for a campaign that is not the program's.
  absl::StatusOr<PromoCodePool> CreatePool(const std::string& program_id, const PromoCodePool& pool,
                                           const std::string& request_id);
  absl::StatusOr<PromoCodePool> GetPool(const std::string& program_id, const std::string& pool_id);
  // Newest first; keyset pagination.
  absl::StatusOr<PoolPage> ListPools(const std::string& program_id, int page_size,
                                     const std::string& page_token);
  absl::StatusOr<PromoCodePool> ArchivePool(const std::string& program_id,
                                            const std::string& pool_id);

  // Adds spec.count random codes to a UNIQUE pool in a few set-based
  // inserts (collisions with existing codes are drawn again), with a
  // PromoCodesAdded event. A retry with the same request id adds nothing.
  absl::StatusOr<GenerateResult> GenerateCodes(const std::string& program_id,
                                               const std::string& pool_id, const GenerateSpec& spec,
                                               const std::string& request_id);
  // Adds `codes` (as typed; normalised here) to a UNIQUE pool, all or none:
  // malformed codes, codes repeated in the list and codes the program
  // already has are reported by index and nothing is added.
  absl::StatusOr<ImportResult> ImportCodes(const std::string& program_id,
                                           const std::string& pool_id,
                                           const std::vector<std::string>& codes,
                                           const std::string& request_id);
  // In the order the codes were added.
  absl::StatusOr<CodePage> ListCodes(const std::string& program_id, const std::string& pool_id,
                                     int page_size, const std::string& page_token);
  // NOT_FOUND naming `code` unless the program has the (normalised) code.
  absl::StatusOr<PromoCodeUsage> GetCode(const std::string& program_id, const std::string& code);

  // Reserves one use under the code's row lock (and, for pools with a
  // per-client limit, a lock on the pool and client), so limits hold under
  // concurrent receipts. A retry with the same reservation id returns the
  // first reservation.
  absl::StatusOr<Reservation> Reserve(const std::string& program_id, const ReserveRequest& request);
  // RESERVED -> CONSUMED; a retry returns the consumed reservation.
  // FAILED_PRECONDITION when released or expired.
  absl::StatusOr<Reservation> Consume(const std::string& program_id,
                                      const std::string& reservation_id);
  // RESERVED or CONSUMED -> RELEASED, giving the use back; a retry returns
  // the released reservation.
  absl::StatusOr<Reservation> Release(const std::string& program_id,
                                      const std::string& reservation_id);

  // Hands a code of the pool to the client: for a UNIQUE pool one that was
  // never issued and is not in use (claimed under its row lock, so
  // concurrent issues never share a code), for a SHARED pool its code. A
  // retry with the same issue id returns the first issue; the id reused for
  // another pool or client is ALREADY_EXISTS naming issue_id.
  // FAILED_PRECONDITION naming pool_id when the pool cannot issue (see
  // CheckIssuable) or has no unused code left.
  absl::StatusOr<IssuedCode> Issue(const std::string& program_id, const IssueRequest& request);

 private:
  pg::Pool& pool_;
  std::function<absl::Time()> now_;
  absl::Duration reservation_ttl_;
};

}  // namespace loyalty::campaigns
