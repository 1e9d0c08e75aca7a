#include "services/campaigns/domain/promo_code.h"

#include <set>

#include "absl/random/random.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::campaigns {
namespace {

PromoCodePool SharedPool(const std::string& code) {
  PromoCodePool pool;
  pool.name = "Summer";
  pool.kind = PoolKind::kShared;
  pool.code = code;
  pool.max_uses_per_code = 0;
  return pool;
}

TEST(NormaliseCode, TrimsAndUpperCases) {
  auto code = NormaliseCode("  summer-10_a \t", "code");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, "SUMMER-10_A");
}

TEST(NormaliseCode, RefusesEmptyOddCharactersAndLongCodes) {
  for (const char* bad : {"", "   ", "SUM MER", "ЛЕТО", "A+B", "A.B"}) {
    auto code = NormaliseCode(bad, "code");
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ViolatedField(code.status()), "code") << bad;
  }
  EXPECT_TRUE(NormaliseCode(std::string(kMaxCodeChars, 'A'), "code").ok());
  EXPECT_FALSE(NormaliseCode(std::string(kMaxCodeChars + 1, 'A'), "code").ok());
}

TEST(GeneratedCodeAlphabet, HasNoLookAlikes) {
  for (char ambiguous : {'0', 'O', '1', 'I', 'L'}) {
    EXPECT_EQ(kGeneratedCodeAlphabet.find(ambiguous), absl::string_view::npos) << ambiguous;
  }
  std::set<char> distinct(kGeneratedCodeAlphabet.begin(), kGeneratedCodeAlphabet.end());
  EXPECT_EQ(distinct.size(), kGeneratedCodeAlphabet.size());
}

TEST(RandomCode, PrefixThenLengthCharactersOfTheAlphabet) {
  GenerateSpec spec{.count = 1000, .length = 10, .prefix = " sale-"};
  ASSERT_TRUE(PrepareGenerateSpec(spec).ok());
  EXPECT_EQ(spec.prefix, "SALE-");
  absl::BitGen random;
  std::set<char> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string code = RandomCode(random, spec);
    ASSERT_EQ(code.size(), 15u) << code;
    ASSERT_EQ(code.substr(0, 5), "SALE-");
    for (char c : code.substr(5)) {
      ASSERT_NE(kGeneratedCodeAlphabet.find(c), absl::string_view::npos) << code;
      seen.insert(c);
    }
    // A generated code is its own normal form, so a till finds it as typed.
    ASSERT_EQ(*NormaliseCode(code, "code"), code);
  }
  // 10000 draws reach every character of the alphabet.
  EXPECT_EQ(seen.size(), kGeneratedCodeAlphabet.size());
}

TEST(PrepareGenerateSpec, DefaultsAndBounds) {
  GenerateSpec spec{.count = 5};
  ASSERT_TRUE(PrepareGenerateSpec(spec).ok());
  EXPECT_EQ(spec.length, kDefaultGeneratedLength);

  auto field_of = [](GenerateSpec spec) { return ViolatedField(PrepareGenerateSpec(spec)); };
  EXPECT_EQ(field_of({.count = 0}), "count");
  EXPECT_EQ(field_of({.count = kMaxGenerateCount + 1}), "count");
  EXPECT_EQ(field_of({.count = 1, .length = 5}), "length");
  EXPECT_EQ(field_of({.count = 1, .length = 33}), "length");
  EXPECT_EQ(field_of({.count = 1, .prefix = "A B"}), "prefix");
  EXPECT_EQ(field_of({.count = 1, .prefix = std::string(kMaxPrefixChars + 1, 'A')}), "prefix");
  // 31^6 = 887503681 possible codes are enough for 8875 codes, not 8876.
  EXPECT_FALSE(field_of({.count = 8875, .length = 6}).has_value());
  EXPECT_EQ(field_of({.count = 8876, .length = 6}), "length");
  EXPECT_EQ(field_of({.count = kMaxGenerateCount, .length = 6}), "length");
  EXPECT_FALSE(field_of({.count = kMaxGenerateCount, .length = 7}).has_value());
  EXPECT_FALSE(field_of({.count = kMaxGenerateCount, .length = 8}).has_value());
}

TEST(PrepareNewPool, SharedPoolNormalisesItsCode) {
  PromoCodePool pool = SharedPool(" welcome ");
  pool.name = "  Welcome  ";
  ASSERT_TRUE(PrepareNewPool(pool, "pool.").ok());
  EXPECT_EQ(pool.code, "WELCOME");
  EXPECT_EQ(pool.name, "Welcome");
}

TEST(PrepareNewPool, RefusesWhatTheKindDoesNotAllow) {
  PromoCodePool shared = SharedPool("");
  EXPECT_EQ(ViolatedField(PrepareNewPool(shared, "pool.")), "pool.code");

  PromoCodePool unique;
  unique.name = "Unique";
  unique.kind = PoolKind::kUnique;
  unique.code = "ABC";
  EXPECT_EQ(ViolatedField(PrepareNewPool(unique, "pool.")), "pool.code");
  unique.code.clear();
  unique.max_uses_per_code = 0;
  EXPECT_EQ(ViolatedField(PrepareNewPool(unique, "pool.")), "pool.max_uses_per_code");
  unique.max_uses_per_code = 1;
  unique.per_client_limit = -1;
  EXPECT_EQ(ViolatedField(PrepareNewPool(unique, "pool.")), "pool.per_client_limit");
  unique.per_client_limit = 0;
  unique.start_time = absl::FromUnixSeconds(2000);
  unique.end_time = absl::FromUnixSeconds(1000);
  EXPECT_EQ(ViolatedField(PrepareNewPool(unique, "pool.")), "pool.end_time");
  unique.name = " ";
  EXPECT_EQ(ViolatedField(PrepareNewPool(unique, "pool.")), "pool.name");
}

TEST(CheckReservable, RefusesWithAReasonNamingTheCode) {
  PromoCodePool pool = SharedPool("X");
  pool.max_uses_per_code = 2;
  pool.per_client_limit = 1;
  pool.start_time = absl::FromUnixSeconds(1000);
  pool.end_time = absl::FromUnixSeconds(2000);
  const absl::Time during = absl::FromUnixSeconds(1500);

  EXPECT_TRUE(CheckReservable(pool, {.counted_uses = 1, .client_uses = 0}, true, during).ok());
  auto refusal = [&](CodeUsage usage, bool has_client, absl::Time now) {
    absl::Status status = CheckReservable(pool, usage, has_client, now);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ViolatedField(status), "code");
    return std::string(status.message());
  };
  EXPECT_NE(refusal({}, true, absl::FromUnixSeconds(999)).find("not valid yet"), std::string::npos);
  EXPECT_NE(refusal({}, true, absl::FromUnixSeconds(2000)).find("expired"), std::string::npos);
  EXPECT_NE(refusal({.counted_uses = 2}, true, during).find("used up"), std::string::npos);
  EXPECT_NE(refusal({.client_uses = 1}, true, during).find("maximum"), std::string::npos);
  EXPECT_NE(refusal({}, false, during).find("identified client"), std::string::npos);
  pool.archived = true;
  EXPECT_NE(refusal({}, true, during).find("withdrawn"), std::string::npos);
}

TEST(CheckReservable, UnlimitedSharedCodeAndNoClientLimit) {
  PromoCodePool pool = SharedPool("X");
  EXPECT_TRUE(CheckReservable(pool, {.counted_uses = 1'000'000}, false, absl::Now()).ok());
}

TEST(CheckIssuable, RefusesArchivedAndEndedPoolsNamingThePool) {
  PromoCodePool pool = SharedPool("X");
  pool.pool_id = "pool-1";
  pool.start_time = absl::FromUnixSeconds(1000);
  pool.end_time = absl::FromUnixSeconds(2000);
  // Before its start a pool still issues: the code waits to become valid.
  EXPECT_TRUE(CheckIssuable(pool, absl::FromUnixSeconds(999)).ok());
  EXPECT_TRUE(CheckIssuable(pool, absl::FromUnixSeconds(1999)).ok());

  absl::Status ended = CheckIssuable(pool, absl::FromUnixSeconds(2000));
  EXPECT_EQ(ended.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(ended), "pool_id");
  EXPECT_NE(ended.message().find("pool-1 has ended"), std::string::npos);

  pool.archived = true;
  absl::Status archived = CheckIssuable(pool, absl::FromUnixSeconds(1500));
  EXPECT_EQ(archived.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ViolatedField(archived), "pool_id");
  EXPECT_NE(archived.message().find("pool-1 is archived"), std::string::npos);
}

}  // namespace
}  // namespace loyalty::campaigns
