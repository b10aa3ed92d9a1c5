-- List — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Builds linked lists and runs the recursive Takeuchi-like `tail` function over them.
--
--   lua5.4 bench/awfy/list.lua [ITER [INNER]]     (default INNER 1500)

local som = require("som")

local Element = {} do
Element.__index = Element

function Element.new (v)
    return setmetatable({val = v, next = nil}, Element)
end

function Element:length ()
    if self.next == nil then
        return 1
    end
    return 1 + self.next:length()
end

end -- class Element

local List = {} do
List.__index = List

function List.new ()
    return setmetatable({}, List)
end

function List:benchmark ()
    local result = self:tail(self:make_list(15), self:make_list(10), self:make_list(6))
    return result:length()
end

function List:verify_result (result)
    return result == 10
end

function List:make_list (length)
    if length == 0 then
        return nil
    end
    local e = Element.new(length)
    e.next = self:make_list(length - 1)
    return e
end

function List:is_shorter_than (x, y)
    local x_tail = x
    local y_tail = y
    while y_tail ~= nil do
        if x_tail == nil then
            return true
        end
        x_tail = x_tail.next
        y_tail = y_tail.next
    end
    return false
end

function List:tail (x, y, z)
    if self:is_shorter_than(y, x) then
        return self:tail(self:tail(x.next, y, z),
            self:tail(y.next, z, x),
            self:tail(z.next, x, y))
    end
    return z
end

end -- class List

local bench = List.new()
som.run("List", 1500, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
