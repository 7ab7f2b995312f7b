-- wrk script: single-document PUTs with ids unique per thread and request (so every one is an insert).
-- WRK_RUN (env) keeps ids of different runs apart; bodies are 64 pre-built random 128-d documents.
local run = os.getenv("WRK_RUN") or "r"
local counter = 0
local bodies = {}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + tid)
  for b = 1, 64 do
    local v = {}
    for i = 1, 128 do v[i] = string.format("%.4f", math.random() * 2 - 1) end
    bodies[b] = '{"text":"put bench document ' .. b .. '","vector":[' .. table.concat(v, ",") ..
      '],"fields":{"category":"c' .. (b % 20) .. '","price":' .. b .. '}}'
  end
end

function request()
  counter = counter + 1
  return wrk.format("PUT", "/collections/puts/docs/" .. run .. "-" .. tid .. "-" .. counter,
    { ["Content-Type"] = "application/json" }, bodies[(counter % 64) + 1])
end
