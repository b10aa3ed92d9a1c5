-- Storage — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Builds a tree of arrays of depth 7 (fan-out 4, leaves of random size 1..10): an
-- allocation and garbage-collection benchmark. The result is the number of arrays built.
-- As in AWFY's Lua port, a leaf records its size in field n (a Lua table cannot hold n nils).
--
--   lua5.4 bench/awfy/storage.lua [ITER [INNER]]     (default INNER 1000)

local som = require("som")

local Storage = {} do
Storage.__index = Storage

function Storage.new ()
    return setmetatable({count = 0}, Storage)
end

function Storage:benchmark ()
    local random = som.Random.new()
    self.count = 0
    self:build_tree_depth(7, random)
    return self.count
end

function Storage:verify_result (result)
    return result == 5461
end

function Storage:build_tree_depth (depth, random)
    self.count = self.count + 1
    if depth == 1 then
        return {n = random:next() % 10 + 1}
    end
    return {n = 4,
        self:build_tree_depth(depth - 1, random),
        self:build_tree_depth(depth - 1, random),
        self:build_tree_depth(depth - 1, random),
        self:build_tree_depth(depth - 1, random)}
end

end -- class Storage

local bench = Storage.new()
som.run("Storage", 1000, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
