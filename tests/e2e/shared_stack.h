#pragma once

// Base of end-to-end suites whose tests share one running stack (started
// before the suite's first test, stopped after its last), with the HTTP
// helpers every such suite needs.

#include <string>

#include "gtest/gtest.h"
#include "libs/http/client.h"
#include "loyalty/operations/v1/operations.pb.h"
#include "tests/e2e/stack.h"

namespace loyalty::e2e {

class SharedStackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // An HTTP call to the gateway with `key`; a transport failure fails the
  // test and returns an empty response.
  static http::Response Send(const std::string& method, const std::string& path,
                             const std::string& body, const std::string& key);
  // With the demo program's admin key.
  static http::Response Admin(const std::string& method, const std::string& path,
                              const std::string& body = "");
  // With `Authorization: Bearer <token>`, e.g. an operator's access token.
  static http::Response Bearer(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& token);
  // With the demo program's store-bound POS key.
  static http::Response Pos(const std::string& method, const std::string& path,
                            const std::string& body = "");

  // The number of a card issued to a newly registered client of the demo
  // program (both through the gateway with the admin key).
  static std::string NewMemberCard();

  // Polls GET /v1/operations/{id} with the admin key (or `api_key`, of
  // another program) until the operation is done, for up to 60 seconds;
  // fails the test otherwise.
  static operations::v1::Operation WaitDone(const std::string& id,
                                            const std::string& api_key = "");

  static Stack* stack_;
};

}  // namespace loyalty::e2e
