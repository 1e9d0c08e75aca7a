#pragma once

namespace loyalty::testing {

// Returns a TCP port on 127.0.0.1 that was free when the call returned: the
// kernel picks it for a socket bound to port 0, and the socket is closed
// again. Another process may still take the port before the caller binds it,
// so servers started on it should retry with a fresh port when binding fails
// (PostgresServer and RedisServer do).
//
// Aborts the test binary if no socket can be bound at all: that is a broken
// test environment, not an error a test could handle.
int PickFreePort();

}  // namespace loyalty::testing
