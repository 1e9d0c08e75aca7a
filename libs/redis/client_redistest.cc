#include "libs/redis/client.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

TEST(RedisClientTest, PipelineAnswersEachCommandInOrder) {
  auto server = testing::RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  Client client(ClientOptions{.address = absl::StrCat("127.0.0.1:", (*server)->port())});

  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 500; ++i) commands.push_back({"RPUSH", "list", absl::StrCat(i)});
  commands.push_back({"INCR", "list"});  // wrong type: its own error only
  commands.push_back({"LLEN", "list"});
  std::vector<absl::StatusOr<Reply>> replies = client.Pipeline(commands);
  ASSERT_EQ(replies.size(), commands.size());
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(replies[i].ok()) << replies[i].status();
    EXPECT_EQ(replies[i]->integer, i + 1);
  }
  EXPECT_EQ(replies[500].status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(replies[501].ok());
  EXPECT_EQ(replies[501]->integer, 500);

  ASSERT_TRUE((*server)->Stop().ok());
  replies = client.Pipeline({{"PING"}, {"PING"}});
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(replies[1].status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_TRUE(client.Pipeline({{"PING"}}).front().ok());
}

}  // namespace
}  // namespace loyalty::redis
