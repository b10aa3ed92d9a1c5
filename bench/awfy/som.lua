-- som — the shared collections of the "Are We Fast Yet" benchmarks (Marr et al., DLS 2016),
-- in Lua 5.4, the twin of som.holt: Random, Vector, Set, IdentitySet, Dictionary (its own
-- hashing, chained buckets) and IdentityDictionary; and the harness every benchmark ends
-- with: run and run_inner.
--
--   local som = require("som")     -- the runner sets LUA_PATH to bench/awfy/?.lua
--   local v = som.Vector.new()
--
-- Conventions (som.holt mirrors every class and method):
-- - Vector is 1-based here, as in AWFY's Lua port (som.holt's is 0-based, as in AWFY's Java).
-- - Iteration takes a closure: for_each, has_some, get_one.
-- - sort takes a comparator returning <0, 0, >0 (Java's Comparator), quicksort as in AWFY.
-- - Dictionary keys have a custom_hash() method.

local Random = {} do
Random.__index = Random

function Random.new()
    return setmetatable({seed = 74755}, Random)
end

function Random:next()
    -- `% 65536` is `& 65535` for the non-negative values that occur (seed < 2^16), and exact
    -- in both Lua 5.4 integers and LuaJIT doubles (no bit operators in LuaJIT's parser).
    self.seed = ((self.seed * 1309) + 13849) % 65536
    return self.seed
end

end -- Random

local floor = math.floor

local Vector = {} do
Vector.__index = Vector

function Vector.new()
    return setmetatable({storage = {}, first_idx = 1, last_idx = 1}, Vector)
end

function Vector.with(elem)
    local v = Vector.new()
    v:append(elem)
    return v
end

function Vector:at(idx)
    return self.storage[idx]
end

function Vector:at_put(idx, val)
    self.storage[idx] = val
    if self.last_idx < idx + 1 then
        self.last_idx = idx + 1
    end
end

function Vector:append(elem)
    self.storage[self.last_idx] = elem
    self.last_idx = self.last_idx + 1
end

function Vector:is_empty()
    return self.last_idx == self.first_idx
end

function Vector:for_each(fn)
    local storage = self.storage
    for i = self.first_idx, self.last_idx - 1 do
        fn(storage[i])
    end
end

function Vector:has_some(fn)
    local storage = self.storage
    for i = self.first_idx, self.last_idx - 1 do
        if fn(storage[i]) then
            return true
        end
    end
    return false
end

function Vector:get_one(fn)
    local storage = self.storage
    for i = self.first_idx, self.last_idx - 1 do
        local e = storage[i]
        if fn(e) then
            return e
        end
    end
    return nil
end

function Vector:first()
    if self:is_empty() then
        return nil
    end
    return self.storage[self.first_idx]
end

function Vector:remove_first()
    if self:is_empty() then
        return nil
    end
    self.first_idx = self.first_idx + 1
    return self.storage[self.first_idx - 1]
end

function Vector:remove(obj)
    if self:is_empty() then
        return false
    end
    local new_storage = {}
    local new_last = 1
    local found = false
    local storage = self.storage
    for i = self.first_idx, self.last_idx - 1 do
        local it = storage[i]
        if it == obj then
            found = true
        else
            new_storage[new_last] = it
            new_last = new_last + 1
        end
    end
    self.storage = new_storage
    self.last_idx = new_last
    self.first_idx = 1
    return found
end

function Vector:remove_all()
    self.first_idx = 1
    self.last_idx = 1
    self.storage = {}
end

function Vector:size()
    return self.last_idx - self.first_idx
end

function Vector:capacity()
    return #self.storage
end

function Vector:sort(c)
    if self:size() > 0 then
        self:sort_range(self.first_idx, self.last_idx - 1, c)
    end
end

function Vector:sort_range(i, j, c)
    local n = j + 1 - i
    if n <= 1 then
        return
    end
    local storage = self.storage
    local di = storage[i]
    local dj = storage[j]
    if c(di, dj) > 0 then
        storage[i] = dj
        storage[j] = di
        local tt = di
        di = dj
        dj = tt
    end
    if n > 2 then
        local ij = floor((i + j) / 2)
        local dij = storage[ij]
        if c(di, dij) <= 0 then
            if c(dij, dj) > 0 then
                storage[ij] = dj
                storage[j] = dij
                dij = dj
            end
        else
            storage[ij] = di
            storage[i] = dij
            dij = di
        end
        if n > 3 then
            local k = i
            local l = j - 1
            while true do
                while k <= l and c(dij, storage[l]) <= 0 do
                    l = l - 1
                end
                k = k + 1
                while k <= l and c(storage[k], dij) <= 0 do
                    k = k + 1
                end
                if k > l then
                    break
                end
                local tmp = storage[k]
                storage[k] = storage[l]
                storage[l] = tmp
            end
            self:sort_range(i, l, c)
            self:sort_range(k, j, c)
        end
    end
end

end -- Vector

local Set = {} do
Set.__index = Set

function Set.new()
    return setmetatable({items = Vector.new()}, Set)
end

function Set:size() return self.items:size() end
function Set:for_each(fn) self.items:for_each(fn) end
function Set:has_some(fn) return self.items:has_some(fn) end
function Set:get_one(fn) return self.items:get_one(fn) end

function Set:add(obj)
    if not self:contains(obj) then
        self.items:append(obj)
    end
end

function Set:contains(obj)
    return self:has_some(function(it) return it == obj end)
end

function Set:remove_all()
    self.items:remove_all()
end

end -- Set

-- Set.collect as a function, as in som.holt.
local function collect(set, fn)
    local coll = Vector.new()
    set:for_each(function(e) coll:append(fn(e)) end)
    return coll
end

local IdentitySet = setmetatable({}, {__index = Set}) do
IdentitySet.__index = IdentitySet

function IdentitySet.new()
    return setmetatable({items = Vector.new()}, IdentitySet)
end

function IdentitySet:contains(obj)
    return self:has_some(function(it) return it == obj end)
end

end -- IdentitySet

local Entry = {} do
Entry.__index = Entry

function Entry.new(hash, key, value, next)
    return setmetatable({hash = hash, key = key, value = value, next = next}, Entry)
end

function Entry:match(hash, key)
    return self.hash == hash and self.key == key
end

end -- Entry

local IdEntry = setmetatable({}, {__index = Entry}) do
IdEntry.__index = IdEntry

function IdEntry.new(hash, key, value, next)
    return setmetatable({hash = hash, key = key, value = value, next = next}, IdEntry)
end

function IdEntry:match(hash, key)
    return self.hash == hash and self.key == key
end

end -- IdEntry

local INITIAL_CAPACITY = 16

-- a ~ b for integers 0 <= a, b < 2^53, by arithmetic (LuaJIT parses no bit operators).
-- The result is built from integer terms, so it stays an integer in Lua 5.4.
local function bxor(a, b)
    local r, bit = 0, 1
    while a > 0 or b > 0 do
        local ra, rb = a % 2, b % 2
        if ra ~= rb then
            r = r + bit
        end
        a = (a - ra) / 2
        b = (b - rb) / 2
        bit = bit * 2
    end
    return r
end

-- Java's hash ^ (hash >>> 16) for the non-negative hashes that occur; below 2^16 the
-- shifted part is 0 and the hash is returned as it is (the common case, no call).
local function spread_large(hash)
    return bxor(hash, floor(hash / 65536))
end

-- Bucket counts are powers of two, so `& (n - 1)` is `% n` and `& n` tests `% (2 * n) >= n`
-- for non-negative hashes.

-- Buckets are a 1-based table with its length in `n`; a slot is nil or a chain of entries.
local Dictionary = {} do
Dictionary.__index = Dictionary

function Dictionary.new()
    return setmetatable({buckets = {n = INITIAL_CAPACITY}, size = 0}, Dictionary)
end

function Dictionary:hash(key)
    if key == nil then
        return 0
    end
    local hash = key:custom_hash()
    if hash < 65536 then
        return hash
    end
    return spread_large(hash)
end

function Dictionary:is_empty()
    return self.size == 0
end

function Dictionary:get_bucket_idx(hash)
    return (hash % self.buckets.n) + 1
end

function Dictionary:get_bucket(hash)
    return self.buckets[self:get_bucket_idx(hash)]
end

function Dictionary:at(key)
    local hash = self:hash(key)
    local e = self:get_bucket(hash)
    while e ~= nil do
        if e:match(hash, key) then
            return e.value
        end
        e = e.next
    end
    return nil
end

function Dictionary:contains_key(key)
    local hash = self:hash(key)
    local e = self:get_bucket(hash)
    while e ~= nil do
        if e:match(hash, key) then
            return true
        end
        e = e.next
    end
    return false
end

function Dictionary:at_put(key, value)
    local hash = self:hash(key)
    local i = self:get_bucket_idx(hash)
    local current = self.buckets[i]
    if current == nil then
        self.buckets[i] = self:new_entry(key, value, hash)
        self.size = self.size + 1
    else
        self:insert_bucket_entry(key, value, hash, current)
    end
    if self.size > self.buckets.n then
        self:resize()
    end
end

function Dictionary:new_entry(key, value, hash)
    return Entry.new(hash, key, value, nil)
end

function Dictionary:insert_bucket_entry(key, value, hash, head)
    local current = head
    while true do
        if current:match(hash, key) then
            current.value = value
            return
        end
        if current.next == nil then
            self.size = self.size + 1
            current.next = self:new_entry(key, value, hash)
            return
        end
        current = current.next
    end
end

function Dictionary:resize()
    local old_storage = self.buckets
    self.buckets = {n = old_storage.n * 2}
    self:transfer_entries(old_storage)
end

function Dictionary:transfer_entries(old_storage)
    local buckets = self.buckets
    for i = 1, old_storage.n do
        local current = old_storage[i]
        if current ~= nil then
            old_storage[i] = nil
            if current.next == nil then
                buckets[(current.hash % buckets.n) + 1] = current
            else
                self:split_bucket(old_storage, i, current)
            end
        end
    end
end

function Dictionary:split_bucket(old_storage, i, head)
    local lo_head, lo_tail = nil, nil
    local hi_head, hi_tail = nil, nil
    local current = head
    local old_len = old_storage.n
    local new_len = old_len * 2
    while current ~= nil do
        if (current.hash % new_len) < old_len then
            if lo_tail == nil then
                lo_head = current
            else
                lo_tail.next = current
            end
            lo_tail = current
        else
            if hi_tail == nil then
                hi_head = current
            else
                hi_tail.next = current
            end
            hi_tail = current
        end
        current = current.next
    end
    if lo_tail ~= nil then
        lo_tail.next = nil
        self.buckets[i] = lo_head
    end
    if hi_tail ~= nil then
        hi_tail.next = nil
        self.buckets[i + old_len] = hi_head
    end
end

function Dictionary:remove_all()
    self.buckets = {n = self.buckets.n}
    self.size = 0
end

function Dictionary:for_each_entry(fn)
    local buckets = self.buckets
    for i = 1, buckets.n do
        local current = buckets[i]
        while current ~= nil do
            fn(current)
            current = current.next
        end
    end
end

function Dictionary:get_keys()
    local keys = Vector.new()
    self:for_each_entry(function(e) keys:append(e.key) end)
    return keys
end

function Dictionary:get_values()
    local values = Vector.new()
    self:for_each_entry(function(e) values:append(e.value) end)
    return values
end

end -- Dictionary

local IdentityDictionary = setmetatable({}, {__index = Dictionary}) do
IdentityDictionary.__index = IdentityDictionary

function IdentityDictionary.new()
    return setmetatable({buckets = {n = INITIAL_CAPACITY}, size = 0}, IdentityDictionary)
end

function IdentityDictionary:new_entry(key, value, hash)
    return IdEntry.new(hash, key, value, nil)
end

end -- IdentityDictionary

-- The harness, as AWFY's: ITER and INNER from the command line (defaults 1 and default_inner),
-- ITER runs of the benchmark at INNER, then `<name>: ok`; the first run whose result does not
-- verify prints `<name>: FAILED (iteration I, inner INNER[: detail])` and exits with status 1.
-- With catch_errors, a run that raises an error fails the same way, the error as the detail;
-- without, the error goes uncaught (its stack trace, status 1). The benchmarks that name a
-- detail count iterations from 0 in that line, the others from 1, as each has always printed.

local function run_loop(name, default_inner, inner_loop, detail, catch_errors)
    local iterations = tonumber(arg[1]) or 1
    local inner = tonumber(arg[2]) or default_inner
    for i = 0, iterations - 1 do
        local ok, result
        if catch_errors then
            ok, result = pcall(inner_loop, inner)
        else
            ok, result = true, inner_loop(inner)
        end
        if not ok or not result then
            local reason = detail
            if not ok then
                reason = tostring(result)
            end
            if reason == nil then
                print(("%s: FAILED (iteration %d, inner %d)"):format(name, i + 1, inner))
            elseif detail == nil then
                print(("%s: FAILED (iteration %d, inner %d: %s)"):format(name, i + 1, inner, reason))
            else
                print(("%s: FAILED (iteration %d, inner %d: %s)"):format(name, i, inner, reason))
            end
            os.exit(1)
        end
    end
    print(name .. ": ok")
end

-- AWFY's default inner loop: INNER calls of benchmark(), each result verified.
local function run(name, default_inner, benchmark, verify, detail, catch_errors)
    run_loop(name, default_inner, function(inner)
        for _ = 1, inner do
            if not verify(benchmark()) then
                return false
            end
        end
        return true
    end, detail, catch_errors)
end

-- A benchmark that takes INNER itself (a problem size or a step count): one call of
-- benchmark(INNER) a run, its result verified against INNER.
local function run_inner(name, default_inner, benchmark, verify, detail, catch_errors)
    run_loop(name, default_inner, function(inner)
        return verify(benchmark(inner), inner)
    end, detail, catch_errors)
end

return {
    Random = Random,
    Vector = Vector,
    Set = Set,
    IdentitySet = IdentitySet,
    collect = collect,
    Dictionary = Dictionary,
    IdentityDictionary = IdentityDictionary,
    run = run,
    run_inner = run_inner,
}
