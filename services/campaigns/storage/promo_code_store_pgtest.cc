// Promo codes against a real PostgreSQL: pools, generation at scale, import
// all-or-none, the reserve/consume/release lifecycle, limits under
// concurrent receipts, expiry by the injected clock, program isolation and
// retries with one effect.

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "libs/common/random_ids.h"
#include "libs/testing/migrated_database.h"
#include "services/campaigns/storage/campaign_store.h"
#include "services/campaigns/storage/promo_code_store.h"

namespace loyalty::campaigns {
namespace {

constexpr absl::Duration kTtl = absl::Minutes(10);

class PromoCodeStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto database =
        testing::StartMigratedDatabase("campaigns", generated::CampaignsMigrations(), 24);
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database).release();
  }
  static void TearDownTestSuite() { delete database_; }

  void SetUp() override { program_id_ = NewUuid(); }

  int64_t Count(const std::string& sql) {
    auto value = testing::QueryInt(*database_->pool, sql);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }
  int64_t CountEvents(const std::string& type) {
    return Count(absl::StrCat("SELECT count(*) FROM outbox WHERE program_id = '", program_id_,
                              "' AND event_type LIKE '%", type, "'"));
  }

  static PromoCodePool SharedInput(const std::string& code, int32_t max_uses,
                                   int32_t per_client = 0) {
    PromoCodePool pool;
    pool.name = "Shared " + code;
    pool.kind = PoolKind::kShared;
    pool.code = code;
    pool.max_uses_per_code = max_uses;
    pool.per_client_limit = per_client;
    return pool;
  }

  PromoCodePool CreateShared(const std::string& code, int32_t max_uses, int32_t per_client = 0) {
    auto created = store_.CreatePool(program_id_, SharedInput(code, max_uses, per_client), "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : PromoCodePool{};
  }

  PromoCodePool CreateUnique(int32_t max_uses, int32_t per_client = 0) {
    PromoCodePool pool;
    pool.name = "Unique";
    pool.kind = PoolKind::kUnique;
    pool.max_uses_per_code = max_uses;
    pool.per_client_limit = per_client;
    auto created = store_.CreatePool(program_id_, pool, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : PromoCodePool{};
  }

  // A UNIQUE pool holding `count` imported codes named <prefix>0, <prefix>1...
  PromoCodePool CreateUniqueWithCodes(const std::string& prefix, int count) {
    PromoCodePool pool = CreateUnique(1);
    std::vector<std::string> codes;
    for (int i = 0; i < count; ++i) codes.push_back(absl::StrCat(prefix, i));
    auto imported = store_.ImportCodes(program_id_, pool.pool_id, codes, "");
    EXPECT_TRUE(imported.ok() && imported->imported == count) << imported.status();
    return pool;
  }

  absl::StatusOr<IssuedCode> Issue(const std::string& pool_id, const std::string& client_id,
                                   const std::string& issue_id) {
    return store_.Issue(program_id_, {pool_id, client_id, issue_id});
  }

  absl::StatusOr<Reservation> Reserve(const std::string& code, const std::string& reservation_id,
                                      const std::string& client_id = "") {
    return store_.Reserve(program_id_, {code, client_id, reservation_id, "receipt-1"});
  }

  static testing::MigratedDatabase* database_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  PromoCodeStore store_{*database_->pool, [this] { return now_; }, kTtl};
  std::string program_id_;
};

testing::MigratedDatabase* PromoCodeStoreTest::database_ = nullptr;

TEST_F(PromoCodeStoreTest, CreateGetListArchiveAndRetry) {
  PromoCodePool input = SharedInput("WELCOME", 0, 1);
  input.start_time = absl::FromUnixMicros(1'700'000'000'123'456);
  auto created = store_.CreatePool(program_id_, input, "req-1");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(IsUuid(created->pool_id));
  EXPECT_EQ(created->code, "WELCOME");
  EXPECT_EQ(created->code_count, 1);
  EXPECT_EQ(created->start_time, input.start_time);
  EXPECT_EQ(CountEvents("PromoCodePoolCreated"), 1);

  // A retry returns the same pool and emits nothing again.
  auto retried = store_.CreatePool(program_id_, input, "req-1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->pool_id, created->pool_id);
  EXPECT_EQ(CountEvents("PromoCodePoolCreated"), 1);

  // The shared code is taken in this program, not in another.
  input.code = "WELCOME";
  auto clash = store_.CreatePool(program_id_, input, "req-2");
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(clash.status()), "pool.code");
  EXPECT_TRUE(store_.CreatePool(NewUuid(), input, "req-2").ok());

  PromoCodePool second = CreateUnique(1);
  auto first_page = store_.ListPools(program_id_, 1, "");
  ASSERT_TRUE(first_page.ok()) << first_page.status();
  ASSERT_EQ(first_page->pools.size(), 1u);
  EXPECT_EQ(first_page->pools[0].pool_id, second.pool_id);
  auto second_page = store_.ListPools(program_id_, 1, first_page->next_page_token);
  ASSERT_TRUE(second_page.ok()) << second_page.status();
  ASSERT_EQ(second_page->pools.size(), 1u);
  EXPECT_EQ(second_page->pools[0].pool_id, created->pool_id);
  EXPECT_TRUE(second_page->next_page_token.empty());

  auto archived = store_.ArchivePool(program_id_, created->pool_id);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_TRUE(archived->archived);
  auto refused = Reserve("WELCOME", "r-1", "client-1");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused.status()), "code");
}

TEST_F(PromoCodeStoreTest, CampaignMustBeTheProgramsOwn) {
  Campaign campaign;
  campaign.name = "Spring";
  CampaignStore campaigns(*database_->pool);
  auto other = campaigns.CreateCampaign(NewUuid(), campaign, "");
  ASSERT_TRUE(other.ok()) << other.status();
  PromoCodePool pool;
  pool.name = "Linked";
  pool.kind = PoolKind::kUnique;
  pool.campaign_id = other->campaign_id;
  auto refused = store_.CreatePool(program_id_, pool, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(refused.status()), "pool.campaign_id");
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM promo_code_pools WHERE program_id = '",
                               program_id_, "'")),
            0);

  auto own = campaigns.CreateCampaign(program_id_, campaign, "");
  ASSERT_TRUE(own.ok()) << own.status();
  pool.campaign_id = own->campaign_id;
  auto linked = store_.CreatePool(program_id_, pool, "");
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_EQ(linked->campaign_id, own->campaign_id);
}

TEST_F(PromoCodeStoreTest, GeneratesOneHundredThousandCodesOncePerRequestId) {
  PromoCodePool pool = CreateUnique(1);
  GenerateSpec spec{.count = kMaxGenerateCount, .length = 8, .prefix = "SPR-"};
  const auto started = std::chrono::steady_clock::now();
  auto generated = store_.GenerateCodes(program_id_, pool.pool_id, spec, "gen-1");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(generated.ok()) << generated.status();
  std::cout << "[ MEASURED ] GenerateCodes of " << kMaxGenerateCount << " codes took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  EXPECT_EQ(generated->generated, kMaxGenerateCount);
  EXPECT_EQ(generated->code_count, kMaxGenerateCount);
  const std::string in_pool = absl::StrCat("FROM promo_codes WHERE pool_id = '", pool.pool_id, "'");
  EXPECT_EQ(Count("SELECT count(DISTINCT code) " + in_pool), kMaxGenerateCount);
  EXPECT_EQ(Count("SELECT count(*) " + in_pool + " AND code ~ '^SPR-[2-9A-HJKMNP-Z]{8}$'"),
            kMaxGenerateCount);
  EXPECT_EQ(CountEvents("PromoCodesAdded"), 1);

  // A retry generates nothing and answers as the first call did.
  auto retried = store_.GenerateCodes(program_id_, pool.pool_id, spec, "gen-1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->generated, kMaxGenerateCount);
  EXPECT_EQ(Count("SELECT count(*) " + in_pool), kMaxGenerateCount);
  EXPECT_EQ(CountEvents("PromoCodesAdded"), 1);

  // Generated codes are found as a person types them.
  auto page = store_.ListCodes(program_id_, pool.pool_id, 2, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->codes.size(), 2u);
  EXPECT_FALSE(page->next_page_token.empty());
  std::string typed = page->codes[0].code;
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  auto normalised = NormaliseCode(" " + typed + " ", "code");
  ASSERT_TRUE(normalised.ok()) << normalised.status();
  EXPECT_TRUE(Reserve(*normalised, "r-typed").ok());
  auto next = store_.ListCodes(program_id_, pool.pool_id, 2, page->next_page_token);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->codes.size(), 2u);
  EXPECT_NE(next->codes[0].code, page->codes[1].code);
}

TEST_F(PromoCodeStoreTest, GenerateRefusesSharedPoolsAndOtherPrograms) {
  PromoCodePool shared = CreateShared("ONE", 0);
  GenerateSpec spec{.count = 10, .length = 8};
  auto refused = store_.GenerateCodes(program_id_, shared.pool_id, spec, "g");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  PromoCodePool unique = CreateUnique(1);
  auto foreign = store_.GenerateCodes(NewUuid(), unique.pool_id, spec, "g");
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM promo_codes WHERE pool_id = '", unique.pool_id,
                               "'")),
            0);
}

TEST_F(PromoCodeStoreTest, ImportIsAllOrNoneWithErrorsByIndex) {
  CreateShared("TAKEN", 0);
  PromoCodePool pool = CreateUnique(1);
  auto refused = store_.ImportCodes(program_id_, pool.pool_id,
                                    {"alpha", " taken ", "BETA", "Alpha", "bad code"}, "imp-1");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->imported, 0);
  ASSERT_EQ(refused->errors.size(), 3u);
  EXPECT_EQ(refused->errors[0].index, 1);
  EXPECT_EQ(refused->errors[0].code, "TAKEN");
  EXPECT_EQ(refused->errors[1].index, 3);
  EXPECT_EQ(refused->errors[1].code, "ALPHA");
  EXPECT_EQ(refused->errors[2].index, 4);
  EXPECT_EQ(refused->code_count, 0);
  const std::string in_pool =
      absl::StrCat("SELECT count(*) FROM promo_codes WHERE pool_id = '", pool.pool_id, "'");
  EXPECT_EQ(Count(in_pool), 0);
  EXPECT_EQ(CountEvents("PromoCodesAdded"), 0);

  // The refused call recorded nothing, so its request id is still free.
  auto imported = store_.ImportCodes(program_id_, pool.pool_id, {"alpha", "beta"}, "imp-1");
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->imported, 2);
  EXPECT_TRUE(imported->errors.empty());
  auto retried = store_.ImportCodes(program_id_, pool.pool_id, {"alpha", "beta"}, "imp-1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->imported, 2);
  EXPECT_TRUE(retried->errors.empty());
  EXPECT_EQ(Count(in_pool), 2);
  EXPECT_EQ(CountEvents("PromoCodesAdded"), 1);
  auto code = store_.GetCode(program_id_, "ALPHA");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->pool_id, pool.pool_id);
}

TEST_F(PromoCodeStoreTest, ReserveConsumeReleaseEachOnce) {
  CreateShared("TEN", 2);
  auto reserved = Reserve("TEN", "r-1", "client-1");
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  EXPECT_EQ(reserved->state, ReservationState::kReserved);
  EXPECT_EQ(reserved->expire_time, now_ + kTtl);
  EXPECT_EQ(reserved->client_id, "client-1");
  auto retried = Reserve("TEN", "r-1", "client-1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->state, ReservationState::kReserved);
  EXPECT_EQ(store_.GetCode(program_id_, "TEN")->reserved_uses, 1);
  // The same key for another code is the caller's mistake.
  CreateShared("OTHER", 0);
  EXPECT_EQ(ViolatedField(Reserve("OTHER", "r-1").status()), "reservation_id");

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto consumed = store_.Consume(program_id_, "r-1");
    ASSERT_TRUE(consumed.ok()) << consumed.status();
    EXPECT_EQ(consumed->state, ReservationState::kConsumed);
  }
  auto usage = store_.GetCode(program_id_, "TEN");
  EXPECT_EQ(usage->consumed_uses, 1);
  EXPECT_EQ(usage->reserved_uses, 0);

  // A refund gives the use back, once however often it is retried.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto released = store_.Release(program_id_, "r-1");
    ASSERT_TRUE(released.ok()) << released.status();
    EXPECT_EQ(released->state, ReservationState::kReleased);
  }
  usage = store_.GetCode(program_id_, "TEN");
  EXPECT_EQ(usage->consumed_uses, 0);
  EXPECT_EQ(usage->reserved_uses, 0);
  EXPECT_EQ(store_.Consume(program_id_, "r-1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A retried reserve after the release still answers with that reservation
  // rather than taking a second use.
  EXPECT_EQ(Reserve("TEN", "r-1", "client-1")->state, ReservationState::kReleased);

  EXPECT_EQ(ViolatedField(store_.Consume(program_id_, "nope").status()), "reservation_id");
  EXPECT_EQ(store_.Release(program_id_, "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PromoCodeStoreTest, ConcurrentReservationsTakeExactlyMaxUses) {
  constexpr int kMaxUses = 3;
  constexpr int kReceipts = 16;
  // Several codes, each rushed by every receipt at once, so that a missing
  // lock shows up in at least one of them.
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    const std::string code = absl::StrCat("RUSH", round);
    CreateShared(code, kMaxUses);
    std::atomic<bool> go{false};
    std::atomic<int> reserved{0};
    std::atomic<int> exhausted{0};
    std::atomic<int> other{0};
    std::vector<std::thread> receipts;
    for (int i = 0; i < kReceipts; ++i) {
      receipts.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        auto result = Reserve(code, absl::StrCat(code, "-", i));
        if (result.ok()) {
          ++reserved;
        } else if (result.status().code() == absl::StatusCode::kFailedPrecondition) {
          ++exhausted;
        } else {
          ++other;
        }
      });
    }
    go = true;
    for (auto& receipt : receipts) receipt.join();
    EXPECT_EQ(reserved.load(), kMaxUses) << code;
    EXPECT_EQ(exhausted.load(), kReceipts - kMaxUses) << code;
    EXPECT_EQ(other.load(), 0) << code;
  }
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM promo_code_reservations WHERE program_id = '",
                               program_id_, "'")),
            kMaxUses * kRounds);
}

TEST_F(PromoCodeStoreTest, ConcurrentReceiptsOfOneClientKeepItsLimit) {
  constexpr int kLimit = 2;
  constexpr int kReceipts = 16;
  constexpr int kClients = 4;
  PromoCodePool pool = CreateUnique(1, kLimit);
  std::vector<std::string> codes;
  for (int i = 0; i < kReceipts * kClients; ++i) codes.push_back(absl::StrCat("ONE", i));
  ASSERT_TRUE(store_.ImportCodes(program_id_, pool.pool_id, codes, "").ok());
  // Each client rushes codes of its own at once: the code locks do not
  // order these receipts, only the per-client lock does.
  for (int client = 0; client < kClients; ++client) {
    std::atomic<bool> go{false};
    std::atomic<int> reserved{0};
    std::vector<std::thread> receipts;
    for (int i = 0; i < kReceipts; ++i) {
      receipts.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        const int code = client * kReceipts + i;
        if (Reserve(codes[code], absl::StrCat("one-", code), absl::StrCat("client-", client))
                .ok()) {
          ++reserved;
        }
      });
    }
    go = true;
    for (auto& receipt : receipts) receipt.join();
    EXPECT_EQ(reserved.load(), kLimit) << "client-" << client;
  }
}

TEST_F(PromoCodeStoreTest, PerClientLimitAcrossCodesOfAPool) {
  PromoCodePool pool = CreateUnique(1, 1);
  ASSERT_TRUE(store_.ImportCodes(program_id_, pool.pool_id, {"A1", "A2", "A3"}, "").ok());
  ASSERT_TRUE(Reserve("A1", "r-1", "anna").ok());
  auto second = Reserve("A2", "r-2", "anna");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("maximum"), std::string::npos);
  EXPECT_EQ(Reserve("A2", "r-3").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Reserve("A2", "r-4", "boris").ok());
  // Released, the use is anna's to take again.
  ASSERT_TRUE(store_.Release(program_id_, "r-1").ok());
  EXPECT_TRUE(Reserve("A3", "r-5", "anna").ok());
}

TEST_F(PromoCodeStoreTest, ExpiredReservationsStopCounting) {
  PromoCodePool pool = CreateUnique(1);
  ASSERT_TRUE(store_.ImportCodes(program_id_, pool.pool_id, {"ONCE"}, "").ok());
  ASSERT_TRUE(Reserve("ONCE", "r-1").ok());
  EXPECT_EQ(Reserve("ONCE", "r-2").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.GetCode(program_id_, "ONCE")->reserved_uses, 1);

  now_ += kTtl;
  EXPECT_EQ(store_.GetCode(program_id_, "ONCE")->reserved_uses, 0);
  auto late = store_.Consume(program_id_, "r-1");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  ASSERT_TRUE(Reserve("ONCE", "r-2").ok());
  EXPECT_TRUE(store_.Consume(program_id_, "r-2").ok());
  EXPECT_EQ(store_.GetCode(program_id_, "ONCE")->consumed_uses, 1);
}

TEST_F(PromoCodeStoreTest, ValidityWindow) {
  PromoCodePool input = SharedInput("WEEKEND", 0);
  input.start_time = now_ + absl::Hours(1);
  input.end_time = now_ + absl::Hours(2);
  ASSERT_TRUE(store_.CreatePool(program_id_, input, "").ok());
  auto early = Reserve("WEEKEND", "r-1");
  EXPECT_NE(early.status().message().find("not valid yet"), std::string::npos);
  now_ += absl::Minutes(90);
  EXPECT_TRUE(Reserve("WEEKEND", "r-2").ok());
  now_ += absl::Hours(1);
  auto late = Reserve("WEEKEND", "r-3");
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
}

TEST_F(PromoCodeStoreTest, AnotherProgramSeesNothing) {
  PromoCodePool pool = CreateShared("MINE", 0);
  ASSERT_TRUE(Reserve("MINE", "r-1").ok());
  const std::string stranger = NewUuid();
  auto reserve = store_.Reserve(stranger, {"MINE", "", "r-9", ""});
  EXPECT_EQ(reserve.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(reserve.status()), "code");
  EXPECT_EQ(store_.GetCode(stranger, "MINE").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.GetPool(stranger, pool.pool_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.ListCodes(stranger, pool.pool_id, 10, "").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.ArchivePool(stranger, pool.pool_id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.Consume(stranger, "r-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.Release(stranger, "r-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.GetCode(program_id_, "MINE")->reserved_uses, 1);
  EXPECT_FALSE(store_.GetPool(program_id_, pool.pool_id)->archived);
}

TEST_F(PromoCodeStoreTest, IssueHandsEachUniqueCodeToOneClientOncePerIssueId) {
  PromoCodePool pool = CreateUniqueWithCodes("GIFT", 3);
  auto first = Issue(pool.pool_id, "client-a", "issue-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->code, "GIFT0");
  EXPECT_EQ(first->client_id, "client-a");
  EXPECT_EQ(first->pool_id, pool.pool_id);

  // A retry returns the same code and time, and stores nothing again.
  auto retried = Issue(pool.pool_id, "client-a", "issue-1");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->code, first->code);
  EXPECT_EQ(retried->issue_time, first->issue_time);
  // The id reused for another client or pool is refused, not re-answered.
  auto reused = Issue(pool.pool_id, "client-b", "issue-1");
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ViolatedField(reused.status()), "issue_id");

  // A code someone already typed at a till is not handed out.
  ASSERT_TRUE(Reserve("GIFT1", "r-1").ok());
  auto second = Issue(pool.pool_id, "client-b", "issue-2");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->code, "GIFT2");

  auto exhausted = Issue(pool.pool_id, "client-c", "issue-3");
  EXPECT_EQ(exhausted.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(exhausted.status()), "pool_id");
  EXPECT_NE(exhausted.status().message().find(pool.pool_id), std::string::npos);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM promo_code_issues WHERE program_id = '",
                               program_id_, "'")),
            2);

  // The issued code works at a till like any other.
  EXPECT_TRUE(Reserve("GIFT0", "r-2", "client-a").ok());
}

TEST_F(PromoCodeStoreTest, SharedPoolIssuesItsOneCodeToEveryClient) {
  PromoCodePool pool = CreateShared("SPRING", 0);
  auto a = Issue(pool.pool_id, "client-a", "issue-a");
  auto b = Issue(pool.pool_id, "client-b", "issue-b");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->code, "SPRING");
  EXPECT_EQ(b->code, "SPRING");
}

TEST_F(PromoCodeStoreTest, IssueRefusesArchivedEndedAndOtherProgramsPools) {
  PromoCodePool archived = CreateUniqueWithCodes("OLD", 2);
  ASSERT_TRUE(store_.ArchivePool(program_id_, archived.pool_id).ok());
  auto refused = Issue(archived.pool_id, "client-a", "issue-1");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(refused.status()), "pool_id");

  PromoCodePool ending = SharedInput("BYE", 0);
  ending.end_time = now_ + absl::Hours(1);
  auto created = store_.CreatePool(program_id_, ending, "");
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(Issue(created->pool_id, "client-a", "issue-2").ok());
  now_ += absl::Hours(1);
  auto ended = Issue(created->pool_id, "client-a", "issue-3");
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(ended.status()), "pool_id");

  PromoCodePool mine = CreateUniqueWithCodes("MINE", 1);
  auto stranger = store_.Issue(NewUuid(), {mine.pool_id, "client-a", "issue-4"});
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ViolatedField(stranger.status()), "pool_id");
  EXPECT_EQ(Issue("not-a-uuid", "client-a", "issue-5").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM promo_code_issues WHERE program_id = '",
                               program_id_, "'")),
            1);
}

TEST_F(PromoCodeStoreTest, ConcurrentIssuesNeverShareACode) {
  constexpr int kCodes = 12;
  constexpr int kIssues = 16;
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    PromoCodePool pool = CreateUniqueWithCodes(absl::StrCat("PAR", round, "X"), kCodes);
    std::atomic<bool> go{false};
    std::atomic<int> exhausted{0};
    std::atomic<int> other{0};
    std::mutex mutex;
    std::multiset<std::string> codes;
    std::vector<std::thread> issues;
    // Every issue twice at once: twins must get one code between them.
    for (int i = 0; i < 2 * kIssues; ++i) {
      issues.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        const int issue = i / 2;
        auto result = Issue(pool.pool_id, absl::StrCat("client-", issue),
                            absl::StrCat("issue-", round, "-", issue));
        if (result.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          codes.insert(result->code);
        } else if (result.status().code() == absl::StatusCode::kFailedPrecondition) {
          ++exhausted;
        } else {
          ++other;
          ADD_FAILURE() << result.status();
        }
      });
    }
    go = true;
    for (auto& issue : issues) issue.join();
    // Twins answer alike: each code twice, one per issue that got one.
    std::set<std::string> distinct(codes.begin(), codes.end());
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kCodes)) << round;
    for (const std::string& code : distinct) EXPECT_EQ(codes.count(code), 2u) << code;
    EXPECT_EQ(exhausted.load(), 2 * (kIssues - kCodes)) << round;
    EXPECT_EQ(other.load(), 0) << round;
    EXPECT_EQ(Count(absl::StrCat("SELECT count(DISTINCT code_id) FROM promo_code_issues"
                                 " WHERE pool_id = '",
                                 pool.pool_id, "'")),
              kCodes);
  }
}

}  // namespace
}  // namespace loyalty::campaigns
