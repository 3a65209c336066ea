-- wrk script for form POSTs: `wrk ... -s post_form.lua URL -- <requests file> <path>`.
-- Each line of the requests file is "<Cookie header>\t<url-encoded body>" for one signed-in
-- person; every connection walks the lines from its own starting point, so successive
-- requests come from different people, as they would in production.
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
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d "
      .. "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
