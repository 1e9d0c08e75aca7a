// Many tills on few certificates at once: holds posted and voided by
// racing callers, one-step redemptions, refunds, duplicate and conflicting
// request ids, time moving so holds lapse. Then the invariants: never
// overspent, each hold resolved once, each id applied once.

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "services/cards/testing/certificate_fixture.h"

namespace loyalty::cards {
namespace {

using testing::CertificatesPgTest;

// What callers were told, to compare with what the database kept.
struct Tally {
  std::mutex mutex;
  std::map<std::string, std::set<int64_t>> amounts;  // per operation id
  int64_t applied = 0;                               // results not replayed
  int64_t replayed = 0;
  std::map<absl::StatusCode, int> codes;
  std::vector<std::string> unexpected;

  void Note(const absl::Status& status) {
    std::lock_guard lock(mutex);
    codes[status.code()]++;
    switch (status.code()) {
      case absl::StatusCode::kOk:
      case absl::StatusCode::kFailedPrecondition:  // money, hold state
      case absl::StatusCode::kAlreadyExists:       // an id reused with other content
      case absl::StatusCode::kNotFound:            // hold or redemption not there (yet)
        return;
      default:
        unexpected.push_back(status.ToString());
    }
  }

  void Note(const absl::StatusOr<CertificateOperationResult>& result) {
    Note(result.status());
    if (!result.ok()) return;
    std::lock_guard lock(mutex);
    amounts[result->operation.operation_id].insert(result->operation.amount);
    ++(result->operation.replayed ? replayed : applied);
  }
};

class CertificateConcurrencyTest : public CertificatesPgTest {};

TEST_F(CertificateConcurrencyTest, RacingTillsNeverOverspend) {
  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 60;
  constexpr int kIds = 30;  // few ids: threads collide on them often
  const std::vector<Certificate> certificates = {NewCertificate(3000), NewCertificate(3000),
                                                 NewCertificate(3000)};
  Tally tally;

  auto till = [&](int thread) {
    std::mt19937 random(4321 + thread);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
    for (int op = 0; op < kOpsPerThread; ++op) {
      // One thread moves time on, so some holds lapse mid-run.
      if (thread == 0) clock_.Advance(absl::Seconds(5));
      const int n = pick(kIds);
      // Content is a function of the id, so equal ids are true duplicates
      // (the conflict case breaks that on purpose).
      const Certificate& certificate = certificates[n % certificates.size()];
      const int64_t amount = 50 + 17 * n;
      switch (pick(6)) {
        case 0:
          tally.Note(Redeem(certificate, absl::StrCat("red-", n), amount));
          break;
        case 1:
        case 2: {
          const std::string hold_id = absl::StrCat("hold-", n);
          tally.Note(certificates_
                         ->Hold(program_, {.hold_id = hold_id,
                                           .number = certificate.number,
                                           .amount = amount,
                                           .ttl = absl::Seconds(60)})
                         .status());
          // Others post or void the same hold at the same time.
          if (pick(3) != 0) {
            tally.Note(Post(certificate, absl::StrCat("post-", n), hold_id, amount - n % 3));
          } else {
            tally.Note(certificates_->VoidHold(program_, certificate.number, hold_id).status());
          }
          break;
        }
        case 3:
          tally.Note(
              Refund(certificate, absl::StrCat("ref-red-", n), absl::StrCat("red-", n), 1 + n % 7));
          break;
        case 4:
          tally.Note(Refund(certificate, absl::StrCat("ref-post-", n), absl::StrCat("post-", n),
                            amount / 2));
          break;
        case 5:
          // The id of a redemption with other content: refused if the
          // redemption came first, else it wins and the redemption is refused.
          tally.Note(Redeem(certificate, absl::StrCat("red-", n), 1 + thread));
          break;
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(till, t);
  for (auto& thread : threads) thread.join();

  RecordProperty("ok", tally.codes[absl::StatusCode::kOk]);
  RecordProperty("replayed", static_cast<int>(tally.replayed));
  RecordProperty("already_exists", tally.codes[absl::StatusCode::kAlreadyExists]);
  RecordProperty("failed_precondition", tally.codes[absl::StatusCode::kFailedPrecondition]);
  EXPECT_TRUE(tally.unexpected.empty()) << absl::StrJoin(tally.unexpected, "\n");
  // Each id callers saw has one amount, the stored one.
  for (const auto& [id, amounts] : tally.amounts) {
    ASSERT_EQ(amounts.size(), 1u) << id;
    EXPECT_EQ(Scalar(absl::StrCat("SELECT amount FROM certificate_operations"
                                  " WHERE program_id = $1 AND operation_id = '",
                                  id, "'")),
              *amounts.begin())
        << id;
  }
  // Each stored money operation was applied by exactly one call.
  EXPECT_EQ(Scalar("SELECT count(*) FROM certificate_operations"
                   " WHERE program_id = $1 AND kind <> 'ISSUE'"),
            tally.applied);
  // The load did what it is for.
  EXPECT_GT(tally.applied, 20);
  EXPECT_GT(tally.replayed, 0);
  EXPECT_GT(tally.codes[absl::StatusCode::kAlreadyExists], 0);
  EXPECT_GT(tally.codes[absl::StatusCode::kFailedPrecondition], 0);
  EXPECT_GT(Scalar("SELECT count(*) FROM certificate_operations WHERE program_id = $1"
                   " AND kind = 'REFUND'"),
            0);

  auto violations =
      FindCertificateInvariantViolations(*pool_, {.check_events = true, .now = clock_.Now()});
  ASSERT_TRUE(violations.ok()) << violations.status();
  EXPECT_TRUE(violations->empty()) << absl::StrJoin(*violations, "\n");
  for (const Certificate& certificate : certificates) {
    Certificate now = Reload(certificate);
    EXPECT_GE(now.balance, 0);
    EXPECT_LE(now.balance, now.nominal);
    EXPECT_LE(now.held, now.balance);
  }
}

}  // namespace
}  // namespace loyalty::cards
