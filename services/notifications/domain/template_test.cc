#include "services/notifications/domain/template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "libs/common/errors.h"

namespace loyalty::notifications {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string FieldOf(const absl::Status& status) {
  return ViolatedField(status).value_or("<none>");
}

TEST(ParsePlaceholdersTest, FindsEachKnownNameOnceInOrder) {
  auto names = ParsePlaceholders(
      "Hi {{first_name}}! Balance {{ balance }}, card {{card_number}}; "
      "again {{first_name}}.",
      "template.body");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("first_name", "balance", "card_number"));
}

TEST(ParsePlaceholdersTest, EveryKnownNameIsAccepted) {
  for (absl::string_view name : kKnownPlaceholders) {
    auto names = ParsePlaceholders(absl::StrCat("{{", name, "}}"), "f");
    ASSERT_TRUE(names.ok()) << name;
    EXPECT_THAT(*names, ElementsAre(std::string(name)));
  }
}

TEST(ParsePlaceholdersTest, PlainTextAndLoneBracesAreLiteral) {
  EXPECT_THAT(*ParsePlaceholders("", "f"), IsEmpty());
  EXPECT_THAT(*ParsePlaceholders("no fields here", "f"), IsEmpty());
  EXPECT_THAT(*ParsePlaceholders("a {single} brace } and }} closing", "f"), IsEmpty());
}

TEST(ParsePlaceholdersTest, UnknownNameIsRefusedNamingTheField) {
  absl::Status status = ParsePlaceholders("Dear {{nickname}}", "template.body").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(status), "template.body");
  EXPECT_THAT(status.message(), HasSubstr("{{nickname}}"));
  EXPECT_THAT(status.message(), HasSubstr("first_name"));  // lists what is known
}

TEST(ParsePlaceholdersTest, NamesAreCaseSensitive) {
  EXPECT_FALSE(ParsePlaceholders("{{First_Name}}", "f").ok());
}

TEST(ParsePlaceholdersTest, MalformedPlaceholders) {
  for (absl::string_view text :
       {"{{}}", "{{   }}", "{{first name}}", "{{{first_name}}}", "{{first_name",
        "tail {{", "{{ balance }"}) {
    absl::Status status = ParsePlaceholders(text, "template.body").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(FieldOf(status), "template.body") << text;
  }
}

TEST(ParsePlaceholdersTest, LongTextIsExcerptedInErrors) {
  std::string text = "{{" + std::string(5000, 'x');
  absl::Status status = ParsePlaceholders(text, "f").status();
  EXPECT_LT(status.message().size(), 200u);
}

Template Sms() {
  Template t;
  t.name = "Welcome";
  t.channel = Channel::kSms;
  t.body = "Hi {{first_name}}, you have {{balance}} points";
  return t;
}

TEST(PrepareNewTemplateTest, AcceptsValidSmsAndTrimsName) {
  Template t = Sms();
  t.name = "  Welcome  ";
  ASSERT_TRUE(PrepareNewTemplate(t, true, "template.").ok());
  EXPECT_EQ(t.name, "Welcome");
}

TEST(PrepareNewTemplateTest, NameLength) {
  Template empty = Sms();
  empty.name = " ";
  EXPECT_EQ(FieldOf(PrepareNewTemplate(empty, true, "template.")), "template.name");
  Template too_long = Sms();
  too_long.name = std::string(kMaxNameChars + 1, 'n');
  EXPECT_EQ(FieldOf(PrepareNewTemplate(too_long, true, "template.")), "template.name");
}

TEST(PrepareNewTemplateTest, ChannelRequired) {
  Template t = Sms();
  EXPECT_EQ(FieldOf(PrepareNewTemplate(t, false, "template.")), "template.channel");
}

TEST(PrepareNewTemplateTest, SubjectOnlyForEmail) {
  Template sms = Sms();
  sms.subject = "Hello";
  EXPECT_EQ(FieldOf(PrepareNewTemplate(sms, true, "template.")), "template.subject");

  Template email = Sms();
  email.channel = Channel::kEmail;
  EXPECT_EQ(FieldOf(PrepareNewTemplate(email, true, "template.")), "template.subject");
  email.subject = "Your {{level}} status";
  EXPECT_TRUE(PrepareNewTemplate(email, true, "template.").ok());
  email.subject = "Your {{tier}} status";
  EXPECT_EQ(FieldOf(PrepareNewTemplate(email, true, "template.")), "template.subject");
}

TEST(PrepareNewTemplateTest, BodyLengthCountsCharacters) {
  Template t = Sms();
  t.body.clear();
  EXPECT_EQ(FieldOf(PrepareNewTemplate(t, true, "template.")), "template.body");
  t.body.clear();
  for (int i = 0; i < kMaxBodyChars; ++i) t.body += "\xD1\x8F";  // 2 bytes each
  EXPECT_TRUE(PrepareNewTemplate(t, true, "template.").ok());
  t.body += "x";
  EXPECT_EQ(FieldOf(PrepareNewTemplate(t, true, "template.")), "template.body");
}

TEST(PrepareNewTemplateTest, UnknownPlaceholderInBody) {
  Template t = Sms();
  t.body = "Hello {{unknown_field}}";
  absl::Status status = PrepareNewTemplate(t, true, "template.");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(status), "template.body");
}

}  // namespace
}  // namespace loyalty::notifications
