#include "services/pos/domain/campaign_snapshots.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/pos/domain/test_campaigns.h"

namespace loyalty::pos {
namespace {

class FakeSource final : public CampaignSource {
 public:
  absl::StatusOr<Active> Load(const std::string& program_id) override {
    programs.push_back(program_id);
    if (!failure.ok()) return failure;
    return active;
  }

  Active active;
  absl::Status failure;
  std::vector<std::string> programs;  // one per call
};

class CampaignSnapshotsTest : public ::testing::Test {
 protected:
  CampaignSnapshotsTest()
      : snapshots_(
            source_, [this] { return now_; },
            {.max_age = absl::Seconds(60), .retry_after = absl::Seconds(1)},
            [this](const std::string&, const absl::Status&) { ++failures_; }) {
    source_.active = {{PercentOffCategory("c1", 1, "dairy", 1000)}, 7};
  }

  FakeSource source_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  int failures_ = 0;
  CampaignSnapshots snapshots_;
};

TEST_F(CampaignSnapshotsTest, LoadsOnFirstUseOnceThenServesTheSameSnapshot) {
  CampaignSnapshot first = snapshots_.Get("p1");
  ASSERT_NE(first.snapshot, nullptr);
  EXPECT_EQ(first.snapshot->size(), 1u);
  EXPECT_EQ(first.snapshot_version, 7);
  CampaignSnapshot second = snapshots_.Get("p1");
  EXPECT_EQ(second.snapshot, first.snapshot);
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
  EXPECT_EQ(source_.programs, std::vector<std::string>{"p1"});
}

TEST_F(CampaignSnapshotsTest, ProgramsAreKeptApart) {
  snapshots_.Get("p1");
  source_.active = {{}, 3};
  CampaignSnapshot other = snapshots_.Get("p2");
  EXPECT_EQ(other.snapshot->size(), 0u);
  EXPECT_EQ(snapshots_.Get("p1").snapshot->size(), 1u);
}

TEST_F(CampaignSnapshotsTest, ANewerAnnouncedVersionIsLoadedByTheRefresherNotTheReader) {
  CampaignSnapshot old = snapshots_.Get("p1");
  source_.active = {{}, 8};
  snapshots_.Announce("p1", 8);
  // The reader is not held up: it gets the old snapshot until the refresh.
  EXPECT_EQ(snapshots_.Get("p1").snapshot, old.snapshot);
  EXPECT_EQ(source_.programs.size(), 1u);
  EXPECT_EQ(snapshots_.RefreshStale(), 1);
  CampaignSnapshot fresh = snapshots_.Get("p1");
  EXPECT_EQ(fresh.snapshot_version, 8);
  EXPECT_EQ(fresh.snapshot->size(), 0u);
}

TEST_F(CampaignSnapshotsTest, AnOldOrRepeatedAnnouncementChangesNothing) {
  snapshots_.Get("p1");
  snapshots_.Announce("p1", 7);
  snapshots_.Announce("p1", 5);
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
  EXPECT_EQ(source_.programs.size(), 1u);
}

TEST_F(CampaignSnapshotsTest, AnAnnouncementForAProgramNotLoadedIsIgnored) {
  snapshots_.Announce("p1", 9);
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
  EXPECT_TRUE(source_.programs.empty());
}

TEST_F(CampaignSnapshotsTest, ASnapshotOlderThanMaxAgeIsRefreshedAfterTheNextRead) {
  snapshots_.Get("p1");
  now_ += absl::Seconds(59);
  snapshots_.Get("p1");
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
  now_ += absl::Seconds(1);
  snapshots_.Get("p1");
  EXPECT_EQ(snapshots_.RefreshStale(), 1);
  EXPECT_EQ(source_.programs.size(), 2u);
  // Fresh again: no further load.
  snapshots_.Get("p1");
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
}

TEST_F(CampaignSnapshotsTest, AFailedRefreshKeepsThePreviousSnapshotAndIsCounted) {
  CampaignSnapshot old = snapshots_.Get("p1");
  source_.failure = absl::UnavailableError("campaigns down");
  snapshots_.Announce("p1", 8);
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
  EXPECT_EQ(failures_, 1);
  CampaignSnapshot still = snapshots_.Get("p1");
  EXPECT_EQ(still.snapshot, old.snapshot);
  EXPECT_EQ(still.snapshot_version, 7);
  // Retried once `retry_after` has passed, not on every read before.
  EXPECT_EQ(snapshots_.RefreshStale(), 0);
  EXPECT_EQ(source_.programs.size(), 2u);
  source_.failure = absl::OkStatus();
  source_.active = {{}, 8};
  now_ += absl::Seconds(1);
  snapshots_.Get("p1");
  EXPECT_EQ(snapshots_.RefreshStale(), 1);
  EXPECT_EQ(snapshots_.Get("p1").snapshot_version, 8);
}

TEST_F(CampaignSnapshotsTest, WithoutASnapshotAndWithCampaignsDownReceiptsGetNone) {
  source_.failure = absl::UnavailableError("campaigns down");
  EXPECT_EQ(snapshots_.Get("p1").snapshot, nullptr);
  EXPECT_EQ(failures_, 1);
  // Within `retry_after` nobody waits for `campaigns` again.
  EXPECT_EQ(snapshots_.Get("p1").snapshot, nullptr);
  EXPECT_EQ(source_.programs.size(), 1u);
  source_.failure = absl::OkStatus();
  now_ += absl::Seconds(1);
  EXPECT_NE(snapshots_.Get("p1").snapshot, nullptr);
}

TEST_F(CampaignSnapshotsTest, ACampaignTheEngineRejectsFailsTheLoad) {
  promotions::Campaign broken = PercentOffCategory("c1", 1, "dairy", 1000);
  broken.rules.clear();
  source_.active = {{broken}, 7};
  EXPECT_EQ(snapshots_.Get("p1").snapshot, nullptr);
  EXPECT_EQ(failures_, 1);
}

TEST_F(CampaignSnapshotsTest, AnOlderLoadFinishingLateDoesNotReplaceANewerSnapshot) {
  snapshots_.Get("p1");
  source_.active = {{}, 6};  // e.g. a lagging replica of `campaigns`
  now_ += absl::Seconds(60);
  snapshots_.Get("p1");
  EXPECT_EQ(snapshots_.RefreshStale(), 1);
  EXPECT_EQ(snapshots_.Get("p1").snapshot_version, 7);
}


class FakeZones final : public ProgramZoneSource {
 public:
  absl::StatusOr<std::string> TimeZoneName(const std::string&) override {
    ++calls;
    if (!failure.ok()) return failure;
    return name;
  }
  std::string name;
  absl::Status failure;
  int calls = 0;
};

// 09:00-10:00 local time, every day, in the program's zone.
promotions::Campaign MorningCampaign() {
  promotions::Campaign campaign = PercentOffCategory("morning", 1, "dairy", 1000);
  campaign.schedule.hours = {{.start_minute = 9 * 60, .end_minute = 10 * 60}};
  return campaign;
}

bool AppliesAt(const CampaignSnapshot& current, absl::Time time) {
  promotions::ReceiptContext receipt;
  receipt.time = time;
  receipt.lines = {{.sku = "milk", .category = "dairy", .quantity_milli = 1000, .price = 100,
                    .amount = 100}};
  auto outcome = promotions::Evaluate(*current.snapshot, receipt);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() && outcome->discount > 0;
}

// 09:30 in Vladivostok (UTC+10) is 23:30 UTC the day before.
const absl::Time kVladivostokMorning = absl::FromCivil(absl::CivilSecond(2026, 11, 22, 23, 30, 0),
                                                       absl::UTCTimeZone());
const absl::Time kUtcMorning = absl::FromCivil(absl::CivilSecond(2026, 11, 23, 9, 30, 0),
                                               absl::UTCTimeZone());

class ProgramZoneTest : public CampaignSnapshotsTest {
 protected:
  ProgramZoneTest()
      : zoned_(
            source_, [this] { return now_; },
            {.max_age = absl::Seconds(60), .retry_after = absl::Seconds(1)}, nullptr, &zones_) {
    source_.active = {{MorningCampaign()}, 7};
  }
  FakeZones zones_;
  CampaignSnapshots zoned_;
};

TEST_F(ProgramZoneTest, SchedulesAreReadInTheProgramsZone) {
  zones_.name = "Asia/Vladivostok";
  CampaignSnapshot current = zoned_.Get("p1");
  ASSERT_NE(current.snapshot, nullptr);
  EXPECT_TRUE(AppliesAt(current, kVladivostokMorning));
  EXPECT_FALSE(AppliesAt(current, kUtcMorning));
}

TEST_F(ProgramZoneTest, AnEmptyOrUnknownZoneIsUtc) {
  for (const char* name : {"", "Mars/Olympus_Mons"}) {
    zones_.name = name;
    CampaignSnapshot current = zoned_.Get(std::string("p-") + name);
    ASSERT_NE(current.snapshot, nullptr);
    EXPECT_TRUE(AppliesAt(current, kUtcMorning)) << name;
    EXPECT_FALSE(AppliesAt(current, kVladivostokMorning)) << name;
  }
}

TEST_F(ProgramZoneTest, WhenTheZoneCannotBeReadTheLastKnownIsKeptAndRetriedSoon) {
  zones_.name = "Asia/Vladivostok";
  zoned_.Get("p1");
  // Identity down at the next refresh: the program keeps its zone.
  zones_.failure = absl::UnavailableError("identity down");
  now_ += absl::Seconds(60);
  zoned_.Get("p1");
  EXPECT_EQ(zoned_.RefreshStale(), 1);
  EXPECT_TRUE(AppliesAt(zoned_.Get("p1"), kVladivostokMorning));

  // Identity down at the first load: UTC, and retried after `retry_after`
  // rather than `max_age`.
  CampaignSnapshot guessed = zoned_.Get("p2");
  ASSERT_NE(guessed.snapshot, nullptr);
  EXPECT_TRUE(AppliesAt(guessed, kUtcMorning));
  zones_.failure = absl::OkStatus();
  zoned_.Get("p2");
  EXPECT_EQ(zoned_.RefreshStale(), 0);
  now_ += absl::Seconds(1);
  zoned_.Get("p2");
  EXPECT_EQ(zoned_.RefreshStale(), 1);
  EXPECT_TRUE(AppliesAt(zoned_.Get("p2"), kVladivostokMorning));
  // Known now: back to the normal refresh.
  now_ += absl::Seconds(1);
  zoned_.Get("p2");
  EXPECT_EQ(zoned_.RefreshStale(), 0);
}

}  // namespace
}  // namespace loyalty::pos
