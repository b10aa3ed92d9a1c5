-- Queens — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Solves the eight queens problem by backtracking, ten times per benchmark run.
--
--   lua5.4 bench/awfy/queens.lua [ITER [INNER]]     (default INNER 1000)

local som = require("som")

local Queens = {} do
Queens.__index = Queens

function Queens.new ()
    return setmetatable({}, Queens)
end

function Queens:benchmark ()
    local result = true
    for _ = 1, 10 do
        result = result and self:queens()
    end
    return result
end

function Queens:verify_result (result)
    return result
end

function Queens:queens ()
    self.free_rows = {true, true, true, true, true, true, true, true}
    self.free_maxs = {true, true, true, true, true, true, true, true,
                      true, true, true, true, true, true, true, true}
    self.free_mins = {true, true, true, true, true, true, true, true,
                      true, true, true, true, true, true, true, true}
    self.queen_rows = {-1, -1, -1, -1, -1, -1, -1, -1}
    return self:place_queen(1)
end

function Queens:place_queen (c)
    for r = 1, 8 do
        if self:get_row_column(r, c) then
            self.queen_rows[r] = c
            self:set_row_column(r, c, false)
            if c == 8 then
                return true
            end
            if self:place_queen(c + 1) then
                return true
            end
            self:set_row_column(r, c, true)
        end
    end
    return false
end

function Queens:get_row_column (r, c)
    return self.free_rows[r] and self.free_maxs[c + r] and self.free_mins[c - r + 8]
end

function Queens:set_row_column (r, c, v)
    self.free_rows[r] = v
    self.free_maxs[c + r] = v
    self.free_mins[c - r + 8] = v
end

end -- class Queens

local bench = Queens.new()
som.run("Queens", 1000, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
