-- wrk script for Sattva benchmarks: like rotate_paths.lua, but each request has its own method and
-- may have a JSON body. Keeps the summary of latency.lua (non-2xx count, requests/s, p50/p90/p99)
-- and adds one line after it, "first_non2xx: STATUS BODY" (the first 200 bytes of the first
-- non-2xx answer any thread got, "-" when there was none), so a bench that sends wrong requests
-- says why.
--
-- The requests come from the file named by the environment variable BENCH_REQUESTS_FILE, one per
-- line: METHOD, a tab, the path (with its query string), and optionally a tab and a JSON body,
-- sent with "Content-Type: application/json". Blank lines and lines starting with # are ignored.
-- Headers given to wrk with -H (for example Authorization) are sent with every request. Each wrk
-- thread starts at a different place in the list, so the threads do not move through it in
-- lockstep: thread i at request 1 + i * BENCH_THREAD_STRIDE (default 7, as in rotate_paths.lua),
-- wrapping around the list.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "latency.lua")

local function load_requests()
  local name = os.getenv("BENCH_REQUESTS_FILE")
  if name == nil or name == "" then
    error("rotate_requests.lua: set BENCH_REQUESTS_FILE to a file of METHOD<TAB>PATH[<TAB>BODY] lines")
  end
  local f = io.open(name, "r")
  if f == nil then error("rotate_requests.lua: cannot read " .. name) end
  local list = {}
  local n = 0
  for line in f:lines() do
    n = n + 1
    line = line:gsub("[\r\n]+$", "")
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local method, path, body = line:match("^(%u+)\t([^\t]+)\t(.*)$")
      if method == nil then
        method, path = line:match("^(%u+)\t([^\t]+)$")
      end
      if method == nil then
        error(string.format("rotate_requests.lua: %s line %d: want METHOD<TAB>PATH[<TAB>BODY]", name, n))
      end
      -- wrk.format uses a headers table given to it instead of wrk.headers (the -H ones), so
      -- a request with a body gets a copy of those plus its Content-Type.
      local headers = nil
      if body ~= nil and body ~= "" then
        headers = {}
        for k, v in pairs(wrk.headers) do headers[k] = v end
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      -- Formatted once here: wrk.format merges the -H headers, and the request never changes.
      table.insert(list, wrk.format(method, path, headers, body))
    end
  end
  f:close()
  if #list == 0 then error("rotate_requests.lua: no requests in " .. name) end
  return list
end

local requests, next_request
local function ensure_loaded()
  if requests == nil then
    requests = load_requests()
    local stride = tonumber(os.getenv("BENCH_THREAD_STRIDE") or "") or 7
    next_request = ((thread_index or 0) * stride) % #requests + 1
  end
end

local latency_init = init
function init(args)
  latency_init(args)
  first_non2xx = nil
  ensure_loaded()
end

function request()
  ensure_loaded()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

local latency_response = response
function response(status, headers, body)
  latency_response(status, headers, body)
  if (status < 200 or status > 299) and first_non2xx == nil then
    first_non2xx = tostring(status) .. " " .. (body or ""):sub(1, 200):gsub("%s+", " ")
  end
end

local latency_done = done
function done(summary, latency, requests_)
  latency_done(summary, latency, requests_)
  local first = "-"
  for _, thread in ipairs(bench_threads) do
    local v = thread:get("first_non2xx")
    if v ~= nil then first = v break end
  end
  io.write("first_non2xx: " .. first .. "\n")
end
