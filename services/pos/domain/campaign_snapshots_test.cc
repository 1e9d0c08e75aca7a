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

}  // namespace
}  // namespace loyalty::pos
