#include "services/notifications/domain/transactional_message.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/errors.h"
#include "services/notifications/providers/pickup_directory.h"

namespace loyalty::notifications {
namespace {

using ::testing::HasSubstr;

TransactionalMessage Sms() {
  return TransactionalMessage{.channel = Channel::kSms,
                              .recipient = "+79161234567",
                              .text = "Your code: 123456",
                              .idempotency_key = "verification-1"};
}

TEST(TransactionalMessageTest, AcceptsSmsAndEmail) {
  EXPECT_TRUE(ValidateTransactionalMessage(Sms()).ok());
  TransactionalMessage email{.channel = Channel::kEmail,
                             .recipient = "anna@example.com",
                             .subject = "Code",
                             .text = "Your code: 123456",
                             .idempotency_key = "k_2"};
  EXPECT_TRUE(ValidateTransactionalMessage(email).ok());
}

TEST(TransactionalMessageTest, NamesTheBadField) {
  TransactionalMessage message = Sms();
  message.channel = Channel::kPush;
  EXPECT_EQ(ViolatedField(ValidateTransactionalMessage(message)), "channel");
  message = Sms();
  message.recipient = "anna@example.com";
  EXPECT_EQ(ViolatedField(ValidateTransactionalMessage(message)), "recipient");
  message = Sms();
  message.subject = "Hi";
  EXPECT_EQ(ViolatedField(ValidateTransactionalMessage(message)), "subject");
  message = Sms();
  message.text = "";
  EXPECT_EQ(ViolatedField(ValidateTransactionalMessage(message)), "text");
  message.text = std::string(1001, 'x');
  EXPECT_EQ(ViolatedField(ValidateTransactionalMessage(message)), "text");
  for (const char* key : {"", "../etc/passwd", "a b"}) {
    message = Sms();
    message.idempotency_key = key;
    EXPECT_EQ(ViolatedField(ValidateTransactionalMessage(message)), "idempotency_key") << key;
  }
}

TEST(PickupDirectoryProviderTest, WritesOneFilePerKey) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("pickup-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  PickupDirectoryProvider provider(dir);
  ASSERT_TRUE(provider.Deliver(Sms()).ok());
  TransactionalMessage retry = Sms();
  retry.text = "changed";
  ASSERT_TRUE(provider.Deliver(retry).ok());
  std::ifstream in(dir + "/verification-1.msg");
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_THAT(content.str(), HasSubstr("to: +79161234567\n"));
  // The retry was not delivered again.
  EXPECT_THAT(content.str(), HasSubstr("Your code: 123456"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            1);
  std::filesystem::remove_all(dir);
}

TEST(PickupDirectoryProviderTest, NoProviderIsAFailedPrecondition) {
  NoProvider none;
  EXPECT_EQ(none.Deliver(Sms()).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace loyalty::notifications
