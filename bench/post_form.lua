-- wrk script for form POSTs:
--   wrk ... -s post_form.lua URL -- <requests file> <path> [<responses per thread> <record>]
-- Each line of the requests file is "<Cookie header>\t<url-encoded body>" for one signed-in
-- person; every connection walks the lines from its own starting point, so successive
-- requests come from different people, as they would in production.
--
-- With a count, each thread stops after that many responses and writes the status and the
-- Location header of each, one per line, to "<record>-<thread number>"; wrk itself runs until
-- its duration ends or it is interrupted (SIGINT), which the caller does once every thread
-- has written its record.
local threads = 0

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  local path = args[2]
  requests = {}
  for line in file:lines() do
    local cookie, body = line:match("^([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", path, {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = wrk.headers["Origin"],
    }, body)
  end
  file:close()
  next_request = (thread_number or 0) * math.floor(#requests / 2) + 1
  if args[3] then
    limit, record = tonumber(args[3]), args[4] .. "-" .. (thread_number or 0)
    seen = {}
    response = record_response
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

function record_response(status, headers, body)
  if #seen >= limit then
    return
  end
  seen[#seen + 1] = status .. "\t" .. (headers["Location"] or "")
  if #seen == limit then
    local file = assert(io.open(record .. ".part", "w"))
    file:write(table.concat(seen, "\n"), "\n")
    file:close()
    os.rename(record .. ".part", record)
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d "
      .. "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
