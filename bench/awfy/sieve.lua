-- Sieve — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Counts the primes up to 5000 with the sieve of Eratosthenes.
--
--   lua5.4 bench/awfy/sieve.lua [ITER [INNER]]     (default INNER 3000)

local som = require("som")

local Sieve = {} do
Sieve.__index = Sieve

function Sieve.new ()
    return setmetatable({}, Sieve)
end

function Sieve:benchmark ()
    local flags = {}
    for i = 1, 5000 do
        flags[i] = true
    end
    return self:sieve(flags, 5000)
end

function Sieve:verify_result (result)
    return result == 669
end

function Sieve:sieve (flags, size)
    local prime_count = 0
    for i = 2, size do
        if flags[i - 1] then
            prime_count = prime_count + 1
            local k = i + i
            while k <= size do
                flags[k - 1] = false
                k = k + i
            end
        end
    end
    return prime_count
end

end -- class Sieve

local bench = Sieve.new()
som.run("Sieve", 3000, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
