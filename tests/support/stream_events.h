#pragma once
// Helpers the streamer and auto-end integration tests share: reading sattva:events, waiting for
// a stream's API view to reach a state, and small file helpers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <json/json.h>

#include "tests/support/api_client.h"
#include "tests/support/stack.h"

namespace sattva::testing {

// The whole file as bytes ("" when it cannot be read).
std::string ReadAll(const std::string& path);
// The millisecond part of a stream entry id ("1764100000000-3" -> 1764100000000).
int64_t EntryMs(const std::string& id);
// Events of `type` for stream `sid`, oldest first, as (entry id, data).
std::vector<std::pair<std::string, Json::Value>> StreamEvents(const Stack& stack,
                                                              const std::string& type,
                                                              int64_t sid);
// Polls GET /api/v1/streams/{sid} every 20 ms until `pred` holds; a timeout is a test failure.
// Returns the last view.
Json::Value WaitStream(ApiClient& c, int64_t sid,
                       const std::function<bool(const Json::Value&)>& pred,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));

}  // namespace sattva::testing
