-- Permute — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Generates all permutations of a 6-element array by recursive swapping, counting the calls.
--
--   lua5.4 bench/awfy/permute.lua [ITER [INNER]]     (default INNER 1000)

local som = require("som")

local Permute = {} do
Permute.__index = Permute

function Permute.new ()
    return setmetatable({count = 0, v = nil}, Permute)
end

function Permute:benchmark ()
    self.count = 0
    self.v = {0, 0, 0, 0, 0, 0}
    self:permute(6)
    return self.count
end

function Permute:verify_result (result)
    return result == 8660
end

function Permute:permute (n)
    self.count = self.count + 1
    if n ~= 0 then
        local n1 = n - 1
        self:permute(n1)
        local i = n
        while i >= 1 do
            self:swap(n, i)
            self:permute(n1)
            self:swap(n, i)
            i = i - 1
        end
    end
end

function Permute:swap (i, j)
    local tmp = self.v[i]
    self.v[i] = self.v[j]
    self.v[j] = tmp
end

end -- class Permute

local bench = Permute.new()
som.run("Permute", 1000, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
