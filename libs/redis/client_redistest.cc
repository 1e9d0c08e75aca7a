#include "libs/redis/client.h"

#include "gtest/gtest.h"
#include "libs/testing/redis_server.h"

namespace loyalty::redis {
namespace {

TEST(RedisClientTest, CommandsRepliesAndReconnect) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Client client(ClientOptions{.address = absl::StrCat("127.0.0.1:", (*server)->port())});
  ASSERT_TRUE(client.Ping().ok());

  auto set = client.Command({"SET", "k", std::string("a\0b", 3)});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, Reply::Type::kStatus);
  auto get = client.Command({"GET", "k"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->text, std::string("a\0b", 3));
  auto missing = client.Command({"GET", "nope"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->type, Reply::Type::kNil);
  auto incr = client.Command({"INCRBY", "n", "5"});
  ASSERT_TRUE(incr.ok());
  EXPECT_EQ(incr->integer, 5);
  EXPECT_EQ(client.Command({"INCR", "k"}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_EQ(client.Ping().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_TRUE(client.Ping().ok());
}

}  // namespace
}  // namespace loyalty::redis
