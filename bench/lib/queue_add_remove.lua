-- wrk script for bench/queue.sh: adds tracks to one queue and removes them again, so the queue
-- stays at its starting length (plus the few adds in flight) however long the run is.
--
-- Each wrk thread alternates: POST QUEUE_PATH {"track_id":N,"at":"end"} (N cycles through the
-- track ids), then DELETE QUEUE_PATH/ITEM of the oldest item this thread added whose id it has
-- read from an add's answer ({"item_ids":["ITEM"],...}). When it has no such item yet (its adds
-- are still in flight) it adds again. So about half the requests are adds and half removals, and
-- a thread only removes items it added itself: no removal can miss (404) however the threads
-- and connections interleave.
--
-- Environment:
--   BENCH_QUEUE_PATH       the queue, e.g. /api/v1/streams/7/queue
--   BENCH_TRACK_IDS_FILE   the track ids to add, one per line
-- Headers given to wrk with -H (Authorization) are sent with every request.
--
-- Keeps the summary of latency.lua and prints after it, from all threads: "adds_sent: N" and
-- "removes_sent: N" (requests sent, answered or not), "left_in_queue: N" (items whose add was
-- answered and that were not removed when the run stopped) and "first_non2xx: STATUS BODY" (the
-- first 200 bytes of the first non-2xx answer, "-" when every answer was 2xx).

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "latency.lua")

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then error("queue_add_remove.lua: set " .. name) end
  return v
end

local function load_track_ids()
  local name = env("BENCH_TRACK_IDS_FILE")
  local f = io.open(name, "r")
  if f == nil then error("queue_add_remove.lua: cannot read " .. name) end
  local list = {}
  for line in f:lines() do
    local id = line:match("^%s*(%d+)%s*$")
    if id ~= nil then table.insert(list, id) end
  end
  f:close()
  if #list == 0 then error("queue_add_remove.lua: no track ids in " .. name) end
  return list
end

local queue_path, track_ids, next_track
local json_headers = nil  -- the -H headers plus Content-Type (wrk.format does not merge them)
-- Item ids this thread added, oldest first: fifo[head..tail].
local fifo, head, tail = {}, 1, 0
local add_turn = true

local function ensure_loaded()
  if queue_path == nil then
    queue_path = env("BENCH_QUEUE_PATH")
    track_ids = load_track_ids()
    next_track = ((thread_index or 0) * 13) % #track_ids + 1
    json_headers = {}
    for k, v in pairs(wrk.headers) do json_headers[k] = v end
    json_headers["Content-Type"] = "application/json"
  end
end

local latency_init = init
function init(args)
  latency_init(args)
  adds_sent, removes_sent, left_in_queue, first_non2xx = 0, 0, 0, nil
  ensure_loaded()
end

function request()
  ensure_loaded()
  if not add_turn and head <= tail then
    add_turn = true
    local item = fifo[head]
    fifo[head] = nil
    head = head + 1
    removes_sent = (removes_sent or 0) + 1
    return wrk.format("DELETE", queue_path .. "/" .. item)
  end
  add_turn = false
  adds_sent = (adds_sent or 0) + 1
  local track = track_ids[next_track]
  next_track = next_track % #track_ids + 1
  return wrk.format("POST", queue_path, json_headers,
                    '{"track_id":' .. track .. ',"at":"end"}')
end

local latency_response = response
function response(status, headers, body)
  latency_response(status, headers, body)
  body = body or ""
  -- An add answers {"version":V,"length":L,"item_ids":["ID"]}; a removal has no item_ids.
  local item = body:match('"item_ids"%s*:%s*%[%s*"(%d+)"')
  if item ~= nil then
    tail = tail + 1
    fifo[tail] = item
  end
  if (status < 200 or status > 299) and first_non2xx == nil then
    first_non2xx = tostring(status) .. " " .. body:sub(1, 200):gsub("%s+", " ")
  end
  left_in_queue = tail - head + 1
end

local latency_done = done
function done(summary, latency, requests_)
  latency_done(summary, latency, requests_)
  local a, r, left, first = 0, 0, 0, "-"
  for _, thread in ipairs(bench_threads) do
    a = a + (thread:get("adds_sent") or 0)
    r = r + (thread:get("removes_sent") or 0)
    left = left + (thread:get("left_in_queue") or 0)
    local v = thread:get("first_non2xx")
    if v ~= nil and first == "-" then first = v end
  end
  io.write(string.format("adds_sent: %d\nremoves_sent: %d\nleft_in_queue: %d\n", a, r, left))
  io.write("first_non2xx: " .. first .. "\n")
end
