#pragma once
// A duration as a clock reading for people: "3:07", "1:02:03". Pure; thread-safe.

#include <cstdint>
#include <string>

namespace sattva::common {

// Whole seconds of `ms` (rounded down; negative counts as 0) as "m:ss", or "h:mm:ss" from one
// hour up.
std::string FormatClock(int64_t ms);

}  // namespace sattva::common
