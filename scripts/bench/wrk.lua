-- The one wrk script of scripts/bench.sh, for product and baseline alike.
--
-- wrk by itself only counts "non-2xx" answers; the benchmark needs answers by
-- status (201 created, 409 sold_out), so this script counts them, and prints
-- one line `WRK_JSON {...}` that server/benches/flash_sale.rs parses.
--
-- Arguments after `--`:
--   get                                           plain requests to the URL
--   order TOKENS_FILE LIVE_ID SKU_ID CODE NONCE   POST an order (API.md) per request:
--       a bearer token taken round-robin from TOKENS_FILE (one per line, many
--       users, so no account's limits or rows serialise the run) and a unique
--       Idempotency-Key (NONCE-thread-counter), so every request is a new order.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  sold_out = 0
  counter = 0
  mode = args[1] or "get"
  if mode == "order" then
    tokens = {}
    for line in io.lines(args[2]) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
    nonce = args[6]
    body = string.format(
      '{"live_id":%s,"goods_items":[{"sku_id":%s,"quantity":1}],"tracking_code":"%s","trace_id":"wrk-bench"}',
      args[3], args[4], args[5])
  end
end

function request()
  if mode ~= "order" then
    return wrk.format()
  end
  counter = counter + 1
  -- Threads start far apart in the token list so they do not share users.
  local token = tokens[(tid * 7919 + counter) % #tokens + 1]
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. counter,
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 409 and body and body:find('"sold_out"', 1, true) then
    sold_out = sold_out + 1
  end
end

function done(summary, latency, requests)
  local merged, sold = {}, 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      merged[code] = (merged[code] or 0) + n
    end
    sold = sold + thread:get("sold_out")
  end
  local parts = {}
  for code, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%s":%d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"duration_us":%d,"requests":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"sold_out":%d,"statuses":{%s}}\n',
    summary.duration, summary.requests, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), sold, table.concat(parts, ",")))
end
