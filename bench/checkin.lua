-- wrk script: POST one check-in per request as one of many logged-in volunteers.
-- bench_duty.py prepends USERS = { {cookie=..., csrf=...}, ... } and NTHREADS.
-- Thread t uses volunteers t+1, t+1+NTHREADS, ... and alternates in/out for each of them, so a
-- person's next tap comes hundreds of requests after the previous one. Every tap says "confirmed", as
-- the app's check-outs do (an unconfirmed check-out within a minute of its check-in is refused).
local counter = 0

function setup(thread)
  setup_count = (setup_count or 0)
  thread:set("tid", setup_count)
  setup_count = setup_count + 1
end

local function uuid4()
  local t = {}
  for i = 1, 16 do t[i] = math.random(0, 255) end
  t[7] = (t[7] % 16) + 64; t[9] = (t[9] % 64) + 128
  local h = string.format(string.rep("%02x", 16), (table.unpack or unpack)(t))
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20) .. "-" .. h:sub(21, 32)
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  per_thread = math.floor(#USERS / NTHREADS)
end

function request()
  local k = counter
  counter = counter + 1
  local slot = (tid or 0) + NTHREADS * (k % per_thread)
  local kind = (math.floor(k / per_thread) % 2 == 0) and "in" or "out"
  local u = USERS[slot + 1]
  local body = string.format('{"items":[{"client_uuid":"%s","kind":"%s","occurred_at":"%s","confirmed":true}]}',
                             uuid4(), kind, os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/v1/checkins",
                    {["Content-Type"] = "application/json", ["Cookie"] = u.cookie, ["X-CSRFToken"] = u.csrf}, body)
end
