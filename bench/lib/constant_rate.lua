-- wrk script for Sattva benchmarks: sends GET requests at a constant rate (an open loop), which
-- Debian's wrk (4.x, not wrk2) has no option for. Builds on rotate_paths.lua (the paths come from
-- BENCH_PATHS_FILE, one per line) and keeps the latency.lua summary, adding three lines:
--
--   target_rate: the rate asked for (requests/s, all threads together)
--   late_sends: requests sent more than 2 ms after their slot, because every connection of
--               their thread was still waiting for an answer (0 means the rate was really held)
--   connections_per_thread: for reading late_sends
--
-- How the rate is held: wrk calls delay() before each request a connection sends and waits that
-- many milliseconds. Each thread keeps a schedule of send slots on the monotonic clock (read
-- through LuaJIT's FFI, as wrk's Lua has no clock of its own), one every
-- BENCH_RATE_THREADS * 1000 / BENCH_RATE ms, the threads offset from one another; delay() hands
-- the next free slot to the connection that asks, so requests leave at the slot times whatever the
-- answers' latency, as long as a connection is free. wrk measures each request's latency from the
-- moment it is written, so a late send would hide its wait: late_sends says whether that
-- happened.
--
-- Environment: BENCH_PATHS_FILE (rotate_paths.lua), BENCH_RATE (requests/s, all threads),
-- BENCH_RATE_THREADS (the -t given to wrk).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "rotate_paths.lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } sattva_bench_timespec;
int clock_gettime(int clk_id, sattva_bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("sattva_bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local function positive_env(name)
  local v = tonumber(os.getenv(name) or "")
  if v == nil or v <= 0 then error("constant_rate.lua: set " .. name .. " to a positive number") end
  return v
end

local interval_ms, next_slot_ms, nthreads
local paths_init = init
function init(args)
  paths_init(args)
  nthreads = positive_env("BENCH_RATE_THREADS")
  interval_ms = nthreads * 1000 / positive_env("BENCH_RATE")
  late_sends = 0
end

function delay()
  local now = now_ms()
  if next_slot_ms == nil then
    -- Threads start at different offsets within one interval, so together they are evenly spread.
    next_slot_ms = now + interval_ms * (thread_index or 0) / nthreads
  end
  local wait = next_slot_ms - now
  next_slot_ms = next_slot_ms + interval_ms
  if wait < -2 then late_sends = late_sends + 1 end
  if wait < 0 then return 0 end
  return math.floor(wait)
end

local latency_done = done
function done(summary, latency, requests)
  latency_done(summary, latency, requests)
  local late = 0
  for _, thread in ipairs(bench_threads) do late = late + (thread:get("late_sends") or 0) end
  io.write(string.format("target_rate: %s\n", os.getenv("BENCH_RATE") or "?"))
  io.write(string.format("late_sends: %d\n", late))
  io.write(string.format("connections_per_thread: %s\n", os.getenv("BENCH_RATE_CONNECTIONS") or "?"))
end
