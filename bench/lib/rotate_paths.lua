-- wrk script for Sattva benchmarks: sends GET requests that cycle through a list of paths, and
-- keeps the summary of latency.lua (non-2xx count, requests/s, p50/p90/p99) unchanged.
--
-- The paths come from the file named by the environment variable BENCH_PATHS_FILE: one path (with
-- its query string) per line, blank lines and lines starting with # ignored. Headers given to wrk
-- with -H (for example Authorization) are sent with every request. Each wrk thread starts at a
-- different place in the list, so the threads do not move through it in lockstep.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "latency.lua")

local function load_paths()
  local name = os.getenv("BENCH_PATHS_FILE")
  if name == nil or name == "" then
    error("rotate_paths.lua: set BENCH_PATHS_FILE to a file with one request path per line")
  end
  local f = io.open(name, "r")
  if f == nil then error("rotate_paths.lua: cannot read " .. name) end
  local list = {}
  for line in f:lines() do
    line = line:gsub("%s+$", "")
    if line ~= "" and line:sub(1, 1) ~= "#" then table.insert(list, line) end
  end
  f:close()
  if #list == 0 then error("rotate_paths.lua: no paths in " .. name) end
  return list
end

local paths, next_path
local latency_init = init
function init(args)
  latency_init(args)
  paths = load_paths()
  next_path = ((thread_index or 0) * 7) % #paths + 1
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end
