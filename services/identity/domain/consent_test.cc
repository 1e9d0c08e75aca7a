#include "services/identity/domain/consent.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"

namespace loyalty::identity {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

ConsentRecord Record(int64_t seq, ConsentKind kind, bool given, absl::Time time) {
  ConsentRecord record;
  record.seq = seq;
  record.record_id = absl::StrCat("r", seq);
  record.change = ConsentChange{.kind = kind,
                                .given = given,
                                .source = ConsentSource::kPos,
                                .text_version = "v1",
                                .consent_time = time};
  return record;
}

TEST(CurrentConsentsTest, LatestTimeWinsWhateverTheWriteOrder) {
  // A back-dated withdrawal written last does not undo a later consent.
  std::vector<ConsentRecord> history = {
      Record(1, ConsentKind::kMarketing, true, kNow),
      Record(2, ConsentKind::kMarketing, false, kNow - absl::Hours(1)),
      Record(3, ConsentKind::kSmsSubscription, true, kNow - absl::Hours(2)),
      Record(4, ConsentKind::kSmsSubscription, false, kNow - absl::Hours(1)),
  };
  auto current = CurrentConsents(history);
  ASSERT_EQ(current.size(), 2u);
  EXPECT_EQ(current[ConsentKind::kMarketing].seq, 1);
  EXPECT_TRUE(IsGiven(current, ConsentKind::kMarketing));
  EXPECT_EQ(current[ConsentKind::kSmsSubscription].seq, 4);
  EXPECT_FALSE(IsGiven(current, ConsentKind::kSmsSubscription));
  EXPECT_FALSE(IsGiven(current, ConsentKind::kEmailSubscription));
}

TEST(CurrentConsentsTest, EqualTimesAreOrderedBySequence) {
  std::vector<ConsentRecord> forward = {Record(7, ConsentKind::kMarketing, true, kNow),
                                        Record(8, ConsentKind::kMarketing, false, kNow)};
  std::vector<ConsentRecord> backward = {forward[1], forward[0]};
  EXPECT_EQ(CurrentConsents(forward)[ConsentKind::kMarketing].seq, 8);
  EXPECT_EQ(CurrentConsents(backward)[ConsentKind::kMarketing].seq, 8);
  EXPECT_FALSE(IsGiven(CurrentConsents(backward), ConsentKind::kMarketing));
}

TEST(CurrentConsentsTest, ChangedKindsCompareEffectiveStates) {
  auto before = CurrentConsents(std::vector<ConsentRecord>{
      Record(1, ConsentKind::kMarketing, true, kNow),
      Record(2, ConsentKind::kPushSubscription, false, kNow)});
  auto after = CurrentConsents(std::vector<ConsentRecord>{
      Record(1, ConsentKind::kMarketing, true, kNow),
      Record(2, ConsentKind::kPushSubscription, false, kNow),
      // Given again: no change. Withdrawn with no earlier record: still not
      // given, no change. Newly given: a change.
      Record(3, ConsentKind::kMarketing, true, kNow + absl::Seconds(1)),
      Record(4, ConsentKind::kViberSubscription, false, kNow),
      Record(5, ConsentKind::kThirdPartyTransfer, true, kNow)});
  EXPECT_THAT(ChangedKinds(before, after), ElementsAre(ConsentKind::kThirdPartyTransfer));
  EXPECT_THAT(ChangedKinds(after, after), IsEmpty());
  EXPECT_THAT(ChangedKinds(after, before), ElementsAre(ConsentKind::kThirdPartyTransfer));
}

TEST(ValidateConsentChangesTest, AcceptsAWellFormedCall) {
  std::vector<ConsentChange> changes = {
      {.kind = ConsentKind::kMarketing, .given = true, .source = ConsentSource::kPos,
       .text_version = "offer-2026-01", .consent_time = kNow + absl::Minutes(4)},
      // A withdrawal needs no text.
      {.kind = ConsentKind::kSmsSubscription, .given = false,
       .source = ConsentSource::kClientApp, .consent_time = kNow}};
  EXPECT_TRUE(ValidateConsentChanges(changes, kNow).ok());
}

TEST(ValidateConsentChangesTest, NamesTheOffendingField) {
  const ConsentChange good{.kind = ConsentKind::kMarketing, .given = true,
                           .source = ConsentSource::kOperator, .text_version = "v1",
                           .consent_time = kNow};
  EXPECT_EQ(ViolatedField(ValidateConsentChanges({}, kNow)), "changes");
  EXPECT_EQ(ViolatedField(ValidateConsentChanges(std::vector<ConsentChange>(21, good), kNow)),
            "changes");

  ConsentChange other = good;
  other.kind = ConsentKind::kPersonalDataProcessing;
  EXPECT_EQ(ViolatedField(ValidateConsentChanges({good, other, good}, kNow)), "changes[2].kind");

  ConsentChange registration = good;
  registration.source = ConsentSource::kRegistration;
  EXPECT_EQ(ViolatedField(ValidateConsentChanges({registration}, kNow)), "changes[0].source");

  ConsentChange unversioned = good;
  unversioned.text_version = "";
  EXPECT_EQ(ViolatedField(ValidateConsentChanges({unversioned}, kNow)),
            "changes[0].text_version");
  ConsentChange long_version = good;
  long_version.text_version = std::string(65, 'v');
  EXPECT_EQ(ViolatedField(ValidateConsentChanges({long_version}, kNow)),
            "changes[0].text_version");

  ConsentChange future = good;
  future.consent_time = kNow + absl::Minutes(6);
  EXPECT_EQ(ViolatedField(ValidateConsentChanges({other, future}, kNow)),
            "changes[1].consent_time");
}

}  // namespace
}  // namespace loyalty::identity
