#include "services/identity/domain/consent.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::identity {

absl::Status ValidateConsentChanges(absl::Span<const ConsentChange> changes, absl::Time now) {
  if (changes.empty()) return InvalidField("changes", "at least one change is required");
  if (changes.size() > kMaxConsentChanges) {
    return InvalidField("changes", absl::StrCat("at most ", kMaxConsentChanges, " per call"));
  }
  std::set<ConsentKind> kinds;
  for (size_t i = 0; i < changes.size(); ++i) {
    const ConsentChange& change = changes[i];
    auto field = [&](absl::string_view name) { return absl::StrCat("changes[", i, "].", name); };
    if (!kinds.insert(change.kind).second) {
      // Two changes of one kind in one call would leave their order to chance.
      return InvalidField(field("kind"), "another change of this call has the same kind");
    }
    if (change.source == ConsentSource::kRegistration) {
      return InvalidField(field("source"), "REGISTRATION is written by RegisterClient only");
    }
    if (change.text_version.size() > kMaxTextVersionLength) {
      return InvalidField(field("text_version"),
                          absl::StrCat("longer than ", kMaxTextVersionLength, " bytes"));
    }
    if (change.given && change.text_version.empty()) {
      // A consent is to a text: without its version the record proves nothing.
      return InvalidField(field("text_version"), "required when the consent is given");
    }
    if (change.consent_time > now + kConsentClockSkew) {
      return InvalidField(field("consent_time"), "is in the future");
    }
  }
  return absl::OkStatus();
}

bool Supersedes(const ConsentRecord& a, const ConsentRecord& b) {
  if (a.change.consent_time != b.change.consent_time) {
    return a.change.consent_time > b.change.consent_time;
  }
  return a.seq > b.seq;
}

std::map<ConsentKind, ConsentRecord> CurrentConsents(absl::Span<const ConsentRecord> history) {
  std::map<ConsentKind, ConsentRecord> current;
  for (const ConsentRecord& record : history) {
    auto [it, inserted] = current.emplace(record.change.kind, record);
    if (!inserted && Supersedes(record, it->second)) it->second = record;
  }
  return current;
}

bool IsGiven(const std::map<ConsentKind, ConsentRecord>& current, ConsentKind kind) {
  auto it = current.find(kind);
  return it != current.end() && it->second.change.given;
}

std::vector<ConsentKind> ChangedKinds(const std::map<ConsentKind, ConsentRecord>& before,
                                      const std::map<ConsentKind, ConsentRecord>& after) {
  std::vector<ConsentKind> changed;
  for (int value = 1; value <= kMaxConsentKind; ++value) {
    auto kind = static_cast<ConsentKind>(value);
    if (IsGiven(before, kind) != IsGiven(after, kind)) changed.push_back(kind);
  }
  return changed;
}

}  // namespace loyalty::identity
