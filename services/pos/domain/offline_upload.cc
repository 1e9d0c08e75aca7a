#include "services/pos/domain/offline_upload.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"

namespace loyalty::pos {

absl::Status CheckOfflineBatch(const std::vector<CalculateInput>& receipts,
                               const std::string& bound_store_id) {
  if (receipts.empty()) return InvalidField("receipts", "at least one receipt is required");
  if (receipts.size() > static_cast<size_t>(kMaxOfflineReceipts)) {
    return InvalidField("receipts",
                        absl::StrCat("at most ", kMaxOfflineReceipts, " receipts per upload"));
  }
  if (bound_store_id.empty()) return absl::OkStatus();
  for (size_t i = 0; i < receipts.size(); ++i) {
    const std::string& store_id = receipts[i].store_id;
    if (!store_id.empty() && absl::AsciiStrToLower(store_id) != bound_store_id) {
      return FieldError(absl::StatusCode::kPermissionDenied,
                        absl::StrCat("receipts[", i, "].store_id"),
                        "these credentials are bound to another store");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTakenTime(const std::optional<absl::Time>& taken_time, absl::Time now) {
  if (!taken_time) return InvalidField("taken_time", "is required");
  // The API layer's mark for a timestamp it could not read.
  if (*taken_time == absl::InfinitePast())
    return InvalidField("taken_time", "not a valid timestamp");
  if (*taken_time > now + kOfflineClockSkew) {
    return InvalidField("taken_time", "is in the future; check the till's clock");
  }
  if (*taken_time < now - kOfflineMaxAge) {
    return InvalidField("taken_time",
                        absl::StrCat("is older than ", kOfflineMaxAge / absl::Hours(24),
                                     " days; such receipts are not accepted"));
  }
  return absl::OkStatus();
}

bool SameSale(const Receipt& stored, const std::string& card_number,
              const std::vector<PricedLine>& lines) {
  if (stored.card_number != card_number || stored.lines.size() != lines.size()) return false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const PricedLine& a = stored.lines[i];
    const PricedLine& b = lines[i];
    if (a.line_number != b.line_number || a.sku != b.sku || a.quantity_milli != b.quantity_milli ||
        a.price != b.price || a.amount != b.amount) {
      return false;
    }
  }
  return true;
}

absl::Status UnderReceipt(int index, const absl::Status& status) {
  const std::string prefix = absl::StrCat("receipts[", index, "]");
  std::optional<std::string> field = ViolatedField(status);
  if (!field) {
    return FieldError(status.code(), prefix, status.message());
  }
  absl::string_view description = status.message();
  const std::string named = absl::StrCat(*field, ": ");
  if (absl::StartsWith(description, named)) description.remove_prefix(named.size());
  return FieldError(status.code(), absl::StrCat(prefix, ".", *field), description);
}

absl::StatusOr<std::vector<OfflineResult>> ReceiptEngine::UploadOffline(
    const std::string& program_id, const std::string& bound_store_id,
    const std::vector<CalculateInput>& receipts, Ledger& ledger) {
  if (absl::Status status = CheckOfflineBatch(receipts, bound_store_id); !status.ok()) {
    return status;
  }
  std::vector<OfflineResult> results;
  results.reserve(receipts.size());
  for (size_t i = 0; i < receipts.size(); ++i) {
    OfflineResult result = RecordOffline(program_id, bound_store_id, receipts[i], ledger);
    if (result.outcome == OfflineOutcome::kFailed) {
      result.error = UnderReceipt(static_cast<int>(i), result.error);
    }
    results.push_back(std::move(result));
  }
  return results;
}

OfflineResult ReceiptEngine::RecordOffline(const std::string& program_id,
                                           const std::string& bound_store_id, CalculateInput input,
                                           Ledger& ledger) {
  auto failed = [](absl::Status status) {
    return OfflineResult{.outcome = OfflineOutcome::kFailed, .error = std::move(status)};
  };
  if (absl::Status status = CheckTakenTime(input.taken_time, clock_()); !status.ok()) {
    return failed(status);
  }
  absl::StatusOr<std::vector<PricedLine>> lines = PriceLines(input.lines);
  if (!lines.ok()) return failed(lines.status());
  input.bound_store_id = bound_store_id;
  input.reduce_points_to_payable = true;
  const std::string store_id =
      absl::AsciiStrToLower(input.store_id.empty() ? bound_store_id : input.store_id);

  // A concurrent upload (or till) working on the same receipt makes a step
  // ABORTED; the next attempt finds what it stored.
  absl::Status last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    // Malformed ids are left to Calculate, which names them.
    if (IsUuid(store_id) && !input.receipt_number.empty()) {
      absl::StatusOr<std::optional<Receipt>> existing =
          repository_.FindByNumber(program_id, store_id, input.receipt_number);
      if (!existing.ok()) return failed(existing.status());
      if (*existing && (*existing)->state != ReceiptState::kCalculated) {
        const Receipt& stored = **existing;
        if (!SameSale(stored, input.card_number, *lines)) {
          return failed(FieldError(absl::StatusCode::kAlreadyExists, "receipt_number",
                                   "this store already recorded another sale under this number"));
        }
        if (stored.state == ReceiptState::kCancelled) {
          return failed(FieldError(absl::StatusCode::kFailedPrecondition, "receipt_number",
                                   "this receipt was cancelled in this store"));
        }
        absl::StatusOr<Receipt> recorded = stored;
        if (stored.state == ReceiptState::kConfirming) {
          // An earlier upload (or confirm) stopped half-way: finish it.
          recorded = FinishConfirming(stored, ledger);
          if (!recorded.ok()) return failed(recorded.status());
        }
        return OfflineResult{.outcome = OfflineOutcome::kAlreadyRecorded,
                             .receipt = *std::move(recorded)};
      }
    }
    absl::StatusOr<Receipt> calculated = Calculate(program_id, input, ledger);
    if (!calculated.ok()) {
      last_error = calculated.status();
      if (absl::IsAborted(last_error)) continue;
      return failed(last_error);
    }
    absl::StatusOr<Receipt> confirmed =
        Confirm(program_id, bound_store_id, "", calculated->receipt_id, ledger);
    if (!confirmed.ok()) {
      last_error = confirmed.status();
      if (absl::IsAborted(last_error)) continue;
      return failed(last_error);
    }
    // Confirm answers with the stored receipt; the cashier's messages of the
    // calculation (a reduced spend, campaigns unavailable) are kept.
    confirmed->messages = calculated->messages;
    return OfflineResult{.outcome = OfflineOutcome::kConfirmed, .receipt = *std::move(confirmed)};
  }
  return failed(last_error);
}

}  // namespace loyalty::pos
