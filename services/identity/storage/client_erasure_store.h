#pragma once

// CLI-14 erasure of a client, in one transaction (schema `identity`).
//
// Removed (personal data): names, phone, e-mail, birth date, gender, city,
// car number, extra keys 1..6 (programs put ids of other systems there),
// external id, referral code, UTM fields (campaign links may carry personal
// tokens), the registering request id (a caller may build it from a phone),
// social profiles, tags (they describe the person: "VIP", "complained"),
// contact verifications (they hold the phone or e-mail), the marketing
// consent projection and the verified flags.
//
// Kept: the client id (cards' ledger, consent history and referrals refer
// to it), program, registration time, device, issuance form and
// registration store (registration statistics, nothing about the person),
// the referrer's id (an opaque id like the ledger's), the consent history
// (a legal record of what was agreed when and by which channel; it holds
// no personal data) and the erasure record itself (when, why, by whom).

#include <string>

#include "absl/status/statusor.h"
#include "libs/pg/pool.h"
#include "services/identity/domain/audit.h"
#include "services/identity/domain/client_erasure.h"

namespace loyalty::identity {

class ClientErasureStore final {
 public:
  explicit ClientErasureStore(pg::Pool& pool) : pool_(pool) {}

  // Erases a client of the program (see above) and appends a ClientErased
  // event. A client already erased is returned as it was erased, whatever
  // the request. NOT_FOUND for another program's or an unknown client;
  // ALREADY_EXISTS naming `request_id` when it erased another client.
  // `actor` is recorded in the audit log, whose earlier entries about the
  // client lose their values (see README "Erasure").
  absl::StatusOr<ClientErasure> Erase(const std::string& program_id,
                                      const ErasureRequest& request,
                                      const AuditActor& actor = {});

 private:
  pg::Pool& pool_;
};

}  // namespace loyalty::identity
