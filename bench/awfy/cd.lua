-- CD — the "Are We Fast Yet" aircraft collision detector (Marr et al., DLS 2016), in Lua 5.4,
-- the twin of cd.holt: a red-black tree, voxel hashing and 3-D vector math.
--
--   lua5.4 bench/awfy/cd.lua [ITER [INNER]]     (defaults 1 and 250)
--
-- INNER is the number of aircraft; each iteration simulates 200 frames and checks the number
-- of collisions against the suite's expected value for that count (10, 100, 250, 500, 1000).
local som = require("som")
local Vector = som.Vector

local sqrt = math.sqrt
local floor = math.floor
local cos = math.cos
local sin = math.sin

local MIN_X = 0.0
local MIN_Y = 0.0
local MAX_X = 1000.0
local MAX_Y = 1000.0
local MIN_Z = 0.0
local MAX_Z = 10.0
local PROXIMITY_RADIUS = 1.0
local GOOD_VOXEL_SIZE = PROXIMITY_RADIUS * 2.0

local function class()
    local c = {}
    c.__index = c
    return c
end

local function compare_numbers(a, b)
    if a == b then
        return 0
    end
    if a < b then
        return -1
    end
    if a > b then
        return 1
    end
    -- We say that NaN is smaller than non-NaN.
    if a == a then
        return 1
    end
    return -1
end

local Vector2D = class()

function Vector2D.new(x, y)
    return setmetatable({x = x, y = y}, Vector2D)
end

function Vector2D:plus(other) return Vector2D.new(self.x + other.x, self.y + other.y) end
function Vector2D:minus(other) return Vector2D.new(self.x - other.x, self.y - other.y) end

function Vector2D:compare_to(other)
    local result = compare_numbers(self.x, other.x)
    if result ~= 0 then
        return result
    end
    return compare_numbers(self.y, other.y)
end

local Vector3D = class()

function Vector3D.new(x, y, z)
    return setmetatable({x = x, y = y, z = z}, Vector3D)
end

function Vector3D:plus(other)
    return Vector3D.new(self.x + other.x, self.y + other.y, self.z + other.z)
end

function Vector3D:minus(other)
    return Vector3D.new(self.x - other.x, self.y - other.y, self.z - other.z)
end

function Vector3D:dot(other)
    return self.x * other.x + self.y * other.y + self.z * other.z
end

function Vector3D:squared_magnitude() return self:dot(self) end
function Vector3D:magnitude() return sqrt(self:squared_magnitude()) end

function Vector3D:times(amount)
    return Vector3D.new(self.x * amount, self.y * amount, self.z * amount)
end

local RED = 0
local BLACK = 1

local function tree_minimum(x)
    local current = x
    while current.left ~= nil do
        current = current.left
    end
    return current
end

local Node = class()

function Node.new(key, value)
    return setmetatable({
        key = key,
        value = value,
        left = nil,
        right = nil,
        parent = nil,
        color = RED,
    }, Node)
end

function Node:successor()
    local x = self
    if x.right ~= nil then
        return tree_minimum(x.right)
    end
    local y = x.parent
    while y ~= nil and x == y.right do
        x = y
        y = y.parent
    end
    return y
end

local Entry = class()

function Entry.new(key, value)
    return setmetatable({key = key, value = value}, Entry)
end

local InsertResult = class()

function InsertResult.new(is_new_entry, new_node, old_value)
    return setmetatable({
        is_new_entry = is_new_entry,
        new_node = new_node,
        old_value = old_value,
    }, InsertResult)
end

-- Keys have a compare_to method.
local RedBlackTree = class()

function RedBlackTree.new()
    return setmetatable({root = nil}, RedBlackTree)
end

function RedBlackTree:compare(a, b)
    return a:compare_to(b)
end

function RedBlackTree:put(key, value)
    local insertion_result = self:tree_insert(key, value)
    if not insertion_result.is_new_entry then
        return insertion_result.old_value
    end
    local x = insertion_result.new_node
    while x ~= self.root and x.parent.color == RED do
        if x.parent == x.parent.parent.left then
            local y = x.parent.parent.right
            if y ~= nil and y.color == RED then
                -- Case 1
                x.parent.color = BLACK
                y.color = BLACK
                x.parent.parent.color = RED
                x = x.parent.parent
            else
                if x == x.parent.right then
                    -- Case 2
                    x = x.parent
                    self:left_rotate(x)
                end
                -- Case 3
                x.parent.color = BLACK
                x.parent.parent.color = RED
                self:right_rotate(x.parent.parent)
            end
        else
            -- Same as the branch above with "right" and "left" exchanged.
            local y = x.parent.parent.left
            if y ~= nil and y.color == RED then
                -- Case 1
                x.parent.color = BLACK
                y.color = BLACK
                x.parent.parent.color = RED
                x = x.parent.parent
            else
                if x == x.parent.left then
                    -- Case 2
                    x = x.parent
                    self:right_rotate(x)
                end
                -- Case 3
                x.parent.color = BLACK
                x.parent.parent.color = RED
                self:left_rotate(x.parent.parent)
            end
        end
    end
    self.root.color = BLACK
    return nil
end

function RedBlackTree:remove(key)
    local z = self:find_node(key)
    if z == nil then
        return nil
    end
    -- y is the node to be unlinked from the tree.
    local y = nil
    if z.left == nil or z.right == nil then
        y = z
    else
        y = z:successor()
    end
    -- y is not nil here.
    local x = nil
    if y.left ~= nil then
        x = y.left
    else
        x = y.right
    end
    -- x is the child of y which might replace y in the tree; x might be nil.
    local x_parent = nil
    if x ~= nil then
        x.parent = y.parent
        x_parent = x.parent
    else
        x_parent = y.parent
    end
    if y.parent == nil then
        self.root = x
    else
        if y == y.parent.left then
            y.parent.left = x
        else
            y.parent.right = x
        end
    end
    if y ~= z then
        if y.color == BLACK then
            self:remove_fixup(x, x_parent)
        end
        y.parent = z.parent
        y.color = z.color
        y.left = z.left
        y.right = z.right
        if z.left ~= nil then
            z.left.parent = y
        end
        if z.right ~= nil then
            z.right.parent = y
        end
        if z.parent ~= nil then
            if z.parent.left == z then
                z.parent.left = y
            else
                z.parent.right = y
            end
        else
            self.root = y
        end
    elseif y.color == BLACK then
        self:remove_fixup(x, x_parent)
    end
    return z.value
end

function RedBlackTree:get(key)
    local node = self:find_node(key)
    if node == nil then
        return nil
    end
    return node.value
end

function RedBlackTree:for_each(f)
    if self.root == nil then
        return
    end
    local current = tree_minimum(self.root)
    while current ~= nil do
        f(Entry.new(current.key, current.value))
        current = current:successor()
    end
end

function RedBlackTree:find_node(key)
    local current = self.root
    while current ~= nil do
        local comparison_result = self:compare(key, current.key)
        if comparison_result == 0 then
            return current
        end
        if comparison_result < 0 then
            current = current.left
        else
            current = current.right
        end
    end
    return nil
end

function RedBlackTree:tree_insert(key, value)
    local y = nil
    local x = self.root
    while x ~= nil do
        y = x
        local comparison_result = self:compare(key, x.key)
        if comparison_result < 0 then
            x = x.left
        elseif comparison_result > 0 then
            x = x.right
        else
            local old_value = x.value
            x.value = value
            return InsertResult.new(false, nil, old_value)
        end
    end
    local z = Node.new(key, value)
    z.parent = y
    if y == nil then
        self.root = z
    else
        if self:compare(key, y.key) < 0 then
            y.left = z
        else
            y.right = z
        end
    end
    return InsertResult.new(true, z, nil)
end

function RedBlackTree:left_rotate(x)
    local y = x.right
    -- Turn y's left subtree into x's right subtree.
    x.right = y.left
    if y.left ~= nil then
        y.left.parent = x
    end
    -- Link x's parent to y.
    y.parent = x.parent
    if x.parent == nil then
        self.root = y
    else
        if x == x.parent.left then
            x.parent.left = y
        else
            x.parent.right = y
        end
    end
    -- Put x on y's left.
    y.left = x
    x.parent = y
    return y
end

function RedBlackTree:right_rotate(y)
    local x = y.left
    -- Turn x's right subtree into y's left subtree.
    y.left = x.right
    if x.right ~= nil then
        x.right.parent = y
    end
    -- Link y's parent to x.
    x.parent = y.parent
    if y.parent == nil then
        self.root = x
    else
        if y == y.parent.left then
            y.parent.left = x
        else
            y.parent.right = x
        end
    end
    x.right = y
    y.parent = x
    return x
end

function RedBlackTree:remove_fixup(x_in, x_parent_in)
    local x = x_in
    local x_parent = x_parent_in
    while x ~= self.root and (x == nil or x.color == BLACK) do
        if x == x_parent.left then
            -- w cannot be nil, by the properties of the red-black tree.
            local w = x_parent.right
            if w.color == RED then
                -- Case 1
                w.color = BLACK
                x_parent.color = RED
                self:left_rotate(x_parent)
                w = x_parent.right
            end
            if (w.left == nil or w.left.color == BLACK) and
                (w.right == nil or w.right.color == BLACK) then
                -- Case 2
                w.color = RED
                x = x_parent
                x_parent = x.parent
            else
                if w.right == nil or w.right.color == BLACK then
                    -- Case 3
                    w.left.color = BLACK
                    w.color = RED
                    self:right_rotate(w)
                    w = x_parent.right
                end
                -- Case 4
                w.color = x_parent.color
                x_parent.color = BLACK
                if w.right ~= nil then
                    w.right.color = BLACK
                end
                self:left_rotate(x_parent)
                x = self.root
                x_parent = x.parent
            end
        else
            -- Same as the branch above with "right" and "left" exchanged.
            local w = x_parent.left
            if w.color == RED then
                -- Case 1
                w.color = BLACK
                x_parent.color = RED
                self:right_rotate(x_parent)
                w = x_parent.left
            end
            if (w.right == nil or w.right.color == BLACK) and
                (w.left == nil or w.left.color == BLACK) then
                -- Case 2
                w.color = RED
                x = x_parent
                x_parent = x.parent
            else
                if w.left == nil or w.left.color == BLACK then
                    -- Case 3
                    w.right.color = BLACK
                    w.color = RED
                    self:left_rotate(w)
                    w = x_parent.left
                end
                -- Case 4
                w.color = x_parent.color
                x_parent.color = BLACK
                if w.left ~= nil then
                    w.left.color = BLACK
                end
                self:right_rotate(x_parent)
                x = self.root
                x_parent = x.parent
            end
        end
    end
    if x ~= nil then
        x.color = BLACK
    end
end

local CallSign = class()

function CallSign.new(value)
    return setmetatable({value = value}, CallSign)
end

function CallSign:compare_to(other)
    if self.value == other.value then
        return 0
    end
    if self.value < other.value then
        return -1
    end
    return 1
end

local Collision = class()

function Collision.new(aircraft_a, aircraft_b, position)
    return setmetatable({
        aircraft_a = aircraft_a,
        aircraft_b = aircraft_b,
        position = position,
    }, Collision)
end

local Motion = class()

function Motion.new(callsign, pos_one, pos_two)
    return setmetatable({callsign = callsign, pos_one = pos_one, pos_two = pos_two}, Motion)
end

function Motion:delta() return self.pos_two:minus(self.pos_one) end

-- Not a geometric 3-D intersection test: both aircraft move at constant speed over the
-- interval, and we look for the times when their distance is below the radius.
function Motion:find_intersection(other)
    local init1 = self.pos_one
    local init2 = other.pos_one
    local vec1 = self:delta()
    local vec2 = other:delta()
    local radius = PROXIMITY_RADIUS

    -- a = (V2 - V1)^T * (V2 - V1)
    local a = vec2:minus(vec1):squared_magnitude()
    if a ~= 0.0 then
        -- Solve 0 = c + b*v + a*v^2 for the times when the planes are exactly r apart.
        -- b = 2 * <I1-I2, V1-V2>
        local b = 2.0 * init1:minus(init2):dot(vec1:minus(vec2))
        -- c = -r^2 + (I2 - I1)^T * (I2 - I1)
        local c = -radius * radius + init2:minus(init1):squared_magnitude()
        local discr = b * b - 4.0 * a * c
        if discr < 0.0 then
            return nil
        end
        local v1 = (-b - sqrt(discr)) / (2.0 * a)
        local v2 = (-b + sqrt(discr)) / (2.0 * a)
        if v1 <= v2 and ((v1 <= 1.0 and 1.0 <= v2) or
                         (v1 <= 0.0 and 0.0 <= v2) or
                         (0.0 <= v1 and v2 <= 1.0)) then
            -- Pick a good "time" at which to report the collision.
            local v = 0.0
            if v1 <= 0.0 then
                -- The collision started before this frame: report it at the start.
                v = 0.0
            else
                -- The collision started during this frame: report it at that moment.
                v = v1
            end
            local result1 = init1:plus(vec1:times(v))
            local result2 = init2:plus(vec2:times(v))
            local result = result1:plus(result2):times(0.5)
            if result.x >= MIN_X and result.x <= MAX_X and result.y >= MIN_Y and
                result.y <= MAX_Y and result.z >= MIN_Z and result.z <= MAX_Z then
                return result
            end
        end
        return nil
    end
    -- The planes have the same speed and move in parallel (or do not move at all), so
    -- their distance is constant: compute it from the initial points.
    local dist = init2:minus(init1):magnitude()
    if dist <= radius then
        return init1:plus(init2):times(0.5)
    end
    return nil
end

local HORIZONTAL = Vector2D.new(GOOD_VOXEL_SIZE, 0.0)
local VERTICAL = Vector2D.new(0.0, GOOD_VOXEL_SIZE)

local CollisionDetector = class()

function CollisionDetector.new()
    return setmetatable({state = RedBlackTree.new()}, CollisionDetector)
end

function CollisionDetector:handle_new_frame(frame)
    local motions = Vector.new()
    local seen = RedBlackTree.new()
    frame:for_each(function(aircraft)
        local old_position = self.state:put(aircraft.callsign, aircraft.position)
        local new_position = aircraft.position
        seen:put(aircraft.callsign, true)
        if old_position == nil then
            -- Treat newly introduced aircraft as if they were stationary.
            old_position = new_position
        end
        motions:append(Motion.new(aircraft.callsign, old_position, new_position))
    end)

    -- Remove aircraft that are no longer present.
    local to_remove = Vector.new()
    self.state:for_each(function(e)
        if not seen:get(e.key) then
            to_remove:append(e.key)
        end
    end)
    to_remove:for_each(function(e) self.state:remove(e) end)

    local all_reduced = self:reduce_collision_set(motions)
    local collisions = Vector.new()
    all_reduced:for_each(function(reduced)
        for i = 1, reduced:size() do
            local motion1 = reduced:at(i)
            for j = i + 1, reduced:size() do
                local motion2 = reduced:at(j)
                local collision = motion1:find_intersection(motion2)
                if collision ~= nil then
                    collisions:append(Collision.new(motion1.callsign, motion2.callsign, collision))
                end
            end
        end
    end)
    return collisions
end

function CollisionDetector:is_in_voxel(voxel, motion)
    if voxel.x > MAX_X or voxel.x < MIN_X or voxel.y > MAX_Y or voxel.y < MIN_Y then
        return false
    end
    local start = motion.pos_one
    local fin = motion.pos_two

    local v_s = GOOD_VOXEL_SIZE
    local r = PROXIMITY_RADIUS / 2.0

    local v_x = voxel.x
    local x0 = start.x
    local xv = fin.x - start.x

    local v_y = voxel.y
    local y0 = start.y
    local yv = fin.y - start.y

    local low_x = (v_x - r - x0) / xv
    local high_x = (v_x + v_s + r - x0) / xv
    if xv < 0.0 then
        local tmp = low_x
        low_x = high_x
        high_x = tmp
    end

    local low_y = (v_y - r - y0) / yv
    local high_y = (v_y + v_s + r - y0) / yv
    if yv < 0.0 then
        local tmp = low_y
        low_y = high_y
        high_y = tmp
    end

    return ((xv == 0.0 and v_x <= x0 + r and x0 - r <= v_x + v_s) or  -- no motion in x
            (low_x <= 1.0 and 1.0 <= high_x) or (low_x <= 0.0 and 0.0 <= high_x) or
            (0.0 <= low_x and high_x <= 1.0)) and
           ((yv == 0.0 and v_y <= y0 + r and y0 - r <= v_y + v_s) or  -- no motion in y
            (low_y <= 1.0 and 1.0 <= high_y) or (low_y <= 0.0 and 0.0 <= high_y) or
            (0.0 <= low_y and high_y <= 1.0)) and
           (xv == 0.0 or yv == 0.0 or  -- no motion in x or y or both
            (low_y <= high_x and high_x <= high_y) or
            (low_y <= low_x and low_x <= high_y) or
            (low_x <= low_y and high_y <= high_x))
end

function CollisionDetector:put_into_map(voxel_map, voxel, motion)
    local array = voxel_map:get(voxel)
    if array == nil then
        array = Vector.new()
        voxel_map:put(voxel, array)
    end
    array:append(motion)
end

function CollisionDetector:recurse(voxel_map, seen, next_voxel, motion)
    if not self:is_in_voxel(next_voxel, motion) then
        return
    end
    if seen:put(next_voxel, true) then
        return
    end
    self:put_into_map(voxel_map, next_voxel, motion)

    self:recurse(voxel_map, seen, next_voxel:minus(HORIZONTAL), motion)
    self:recurse(voxel_map, seen, next_voxel:plus(HORIZONTAL), motion)
    self:recurse(voxel_map, seen, next_voxel:minus(VERTICAL), motion)
    self:recurse(voxel_map, seen, next_voxel:plus(VERTICAL), motion)
    self:recurse(voxel_map, seen, next_voxel:minus(HORIZONTAL):minus(VERTICAL), motion)
    self:recurse(voxel_map, seen, next_voxel:minus(HORIZONTAL):plus(VERTICAL), motion)
    self:recurse(voxel_map, seen, next_voxel:plus(HORIZONTAL):minus(VERTICAL), motion)
    self:recurse(voxel_map, seen, next_voxel:plus(HORIZONTAL):plus(VERTICAL), motion)
end

function CollisionDetector:reduce_collision_set(motions)
    local voxel_map = RedBlackTree.new()
    motions:for_each(function(motion) self:draw_motion_on_voxel_map(voxel_map, motion) end)
    local result = Vector.new()
    voxel_map:for_each(function(e)
        if e.value:size() > 1 then
            result:append(e.value)
        end
    end)
    return result
end

function CollisionDetector:voxel_hash(position)
    local x_div = floor(position.x / GOOD_VOXEL_SIZE)
    local y_div = floor(position.y / GOOD_VOXEL_SIZE)
    local x = GOOD_VOXEL_SIZE * x_div
    local y = GOOD_VOXEL_SIZE * y_div
    if position.x < 0.0 then
        x = x - GOOD_VOXEL_SIZE
    end
    if position.y < 0.0 then
        y = y - GOOD_VOXEL_SIZE
    end
    return Vector2D.new(x, y)
end

function CollisionDetector:draw_motion_on_voxel_map(voxel_map, motion)
    local seen = RedBlackTree.new()
    self:recurse(voxel_map, seen, self:voxel_hash(motion.pos_one), motion)
end

local Aircraft = class()

function Aircraft.new(callsign, position)
    return setmetatable({callsign = callsign, position = position}, Aircraft)
end

-- Aircraft are numbered from 0, as in Holt; the Vector is 1-based.
local Simulator = class()

function Simulator.new(num_aircraft)
    local aircraft = Vector.new()
    for i = 0, num_aircraft - 1 do
        aircraft:append(CallSign.new(i))
    end
    return setmetatable({aircraft = aircraft}, Simulator)
end

function Simulator:simulate(time)
    local frame = Vector.new()
    local i = 0
    while i < self.aircraft:size() do
        frame:append(Aircraft.new(self.aircraft:at(i + 1),
                                  Vector3D.new(time, cos(time) * 2.0 + i * 3.0, 10.0)))
        frame:append(Aircraft.new(self.aircraft:at(i + 2),
                                  Vector3D.new(time, sin(time) * 2.0 + i * 3.0, 10.0)))
        i = i + 2
    end
    return frame
end

local function benchmark(num_aircrafts)
    local num_frames = 200
    local simulator = Simulator.new(num_aircrafts)
    local detector = CollisionDetector.new()
    local actual_collisions = 0
    for i = 0, num_frames - 1 do
        local time = i / 10.0
        local collisions = detector:handle_new_frame(simulator:simulate(time))
        actual_collisions = actual_collisions + collisions:size()
    end
    return actual_collisions
end

local function verify_result(actual_collisions, num_aircrafts)
    if num_aircrafts == 1000 then
        return actual_collisions == 14484
    end
    if num_aircrafts == 500 then
        return actual_collisions == 14484
    end
    if num_aircrafts == 250 then
        return actual_collisions == 10830
    end
    if num_aircrafts == 100 then
        return actual_collisions == 4305
    end
    if num_aircrafts == 10 then
        return actual_collisions == 390
    end
    print(string.format("No verification result for %d found; result is %d",
        num_aircrafts, actual_collisions))
    return false
end

som.run_inner("CD", 250, benchmark, verify_result, "wrong number of collisions", false)
