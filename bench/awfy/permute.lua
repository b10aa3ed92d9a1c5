-- Permute — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Generates all permutations of a 6-element array by recursive swapping, counting the calls.
--
--   lua5.4 bench/awfy/permute.lua [ITER [INNER]]     (default INNER 1000)

local Permute = {} do
Permute.__index = Permute

function Permute.new ()
    return setmetatable({count = 0, v = nil}, Permute)
end

function Permute:inner_benchmark_loop (inner_iterations)
    for _ = 1, inner_iterations do
        if not self:verify_result(self:benchmark()) then
            return false
        end
    end
    return true
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

local iterations = tonumber(arg[1]) or 1
local inner = tonumber(arg[2]) or 1000
local bench = Permute.new()
for i = 1, iterations do
    if not bench:inner_benchmark_loop(inner) then
        print(("Permute: FAILED (iteration %d, inner %d)"):format(i, inner))
        os.exit(1)
    end
end
print("Permute: ok")
