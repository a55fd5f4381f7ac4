-- Gatehouse forward auth for HAProxy 2.6 or newer, with nothing but HAProxy's own Lua API
-- (core.httpclient): no haproxy-lua-http, no JSON library.
--
-- Load it in `global`, run it in the frontend before routing (examples/haproxy/haproxy.cfg):
--
--   global
--       lua-load /etc/haproxy/gatehouse-auth-request.lua
--   frontend https
--       http-request lua.gatehouse-auth-request http://gatehouse:9091/api/authz/forward-auth if !portal
--
-- The action asks Gatehouse with `HEAD <url>` (Authelia's ForwardAuth implementation, the one its
-- HAProxy guide uses), sending only these headers of the client's request: Cookie, Authorization,
-- Accept, X-Requested-With, and the X-Forwarded-Method, -Proto, -Host, -URI and -For that
-- haproxy.cfg sets beforehand. It leaves the answer in variables for the rules that follow:
--
--   txn.gatehouse.status            200 allow; 302/303 log in (a browser); 401 log in (XHR, a
--                                   non-HTML client, refused Basic or bearer credentials);
--                                   403 deny; 400 malformed; 5xx when Gatehouse could not answer
--   txn.gatehouse.location          the portal URL with `rd` and `rm` (302/303)
--   txn.gatehouse.www_authenticate  the challenge of a 401 for Basic or bearer credentials
--   txn.gatehouse.remote_user       on a 2xx answer, each only when Gatehouse sent it (none on
--   txn.gatehouse.remote_groups     `bypass` sites, none for a client's own bearer token)
--   txn.gatehouse.remote_name
--   txn.gatehouse.remote_email
--
-- It only asks; haproxy.cfg acts on the answer, and refuses every request whose status is not
-- 2xx so that anything going wrong here fails closed.

-- Per attempt: HAProxy's client tries a few times before answering 503/504 itself.
local timeout_ms = 5000

local asked = {
  'cookie', 'authorization', 'accept', 'x-requested-with',
  'x-forwarded-method', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-uri', 'x-forwarded-for',
}

local identity = {
  ['remote-user'] = 'txn.gatehouse.remote_user',
  ['remote-groups'] = 'txn.gatehouse.remote_groups',
  ['remote-name'] = 'txn.gatehouse.remote_name',
  ['remote-email'] = 'txn.gatehouse.remote_email',
}

-- The values of one header in a table of HAProxy's (lower-case names, values listed from 0).
local function values(headers, name)
  local list, out = headers[name], {}
  if list == nil then return out end
  local i = list[0] ~= nil and 0 or 1
  while list[i] ~= nil do
    out[#out + 1] = list[i]
    i = i + 1
  end
  return out
end

local function joined(headers, name)
  local list = values(headers, name)
  if #list == 0 then return nil end
  return table.concat(list, ', ')
end

local function ask(txn, url)
  local request = txn.http:req_get_headers()
  local headers = {}
  for _, name in ipairs(asked) do
    local list = values(request, name)
    if #list > 0 then headers[name] = list end
  end
  -- HAProxy's client would add `Accept: */*`, which reads as a browser: keep "none" as none.
  if headers['accept'] == nil then headers['accept'] = { '' } end
  return core.httpclient():head({ url = url, headers = headers, timeout = timeout_ms })
end

core.register_action('gatehouse-auth-request', { 'http-req' }, function(txn, url)
  -- Set first: should anything below fail, the status says "unavailable", never "allowed".
  txn:set_var('txn.gatehouse.status', 503)
  local ok, answer = pcall(ask, txn, url)
  if not ok or type(answer) ~= 'table' or type(answer.status) ~= 'number' then
    txn:Warning('gatehouse-auth-request: no answer from ' .. url .. ': ' .. tostring(answer))
    return
  end
  txn:set_var('txn.gatehouse.status', answer.status)
  if answer.status >= 500 then
    txn:Warning('gatehouse-auth-request: ' .. url .. ' answered ' .. answer.status)
  end
  local headers = answer.headers or {}
  local location = joined(headers, 'location')
  if location ~= nil then txn:set_var('txn.gatehouse.location', location) end
  local challenge = joined(headers, 'www-authenticate')
  if challenge ~= nil then txn:set_var('txn.gatehouse.www_authenticate', challenge) end
  if answer.status < 200 or answer.status > 299 then return end
  for name, var in pairs(identity) do
    local value = joined(headers, name)
    if value ~= nil and value ~= '' then txn:set_var(var, value) end
  end
end, 1)
