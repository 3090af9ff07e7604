-- wrk script: each connection walks the request paths listed one per line in the file named by the first script
-- argument (`wrk ... -s rotate.lua URL -- paths.txt`), starting at a random line so threads do not move in step.
local paths = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  next_index = math.random(#paths)
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end
