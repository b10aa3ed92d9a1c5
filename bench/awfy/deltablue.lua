-- DeltaBlue — the "Are We Fast Yet" incremental constraint solver (Marr et al., DLS 2016),
-- in Lua 5.4, the twin of deltablue.holt.
--
--   lua5.4 bench/awfy/deltablue.lua [ITER [INNER]]     (defaults 1 and 12000)
--
-- Each iteration runs the chain test and the projection test with INNER variables; both check
-- their own results and raise an error on a wrong one.
local som = require("som")
local Vector = som.Vector
local IdentityDictionary = som.IdentityDictionary
local floor = math.floor

local NONE = 0
local FORWARD = 1
local BACKWARD = 2

local function class(base)
    local c = {}
    c.__index = c
    if base then
        setmetatable(c, {__index = base})
    end
    return c
end

local Sym = class()

function Sym.new(hash)
    return setmetatable({hash = hash}, Sym)
end

function Sym:custom_hash()
    return self.hash
end

local ABSOLUTE_STRONGEST = Sym.new(0)
local REQUIRED = Sym.new(1)
local STRONG_PREFERRED = Sym.new(2)
local PREFERRED = Sym.new(3)
local STRONG_DEFAULT = Sym.new(4)
local DEFAULT = Sym.new(5)
local WEAK_DEFAULT = Sym.new(6)
local ABSOLUTE_WEAKEST = Sym.new(7)

local function create_strength_table()
    local strength_table = IdentityDictionary.new()
    strength_table:at_put(ABSOLUTE_STRONGEST, -10000)
    strength_table:at_put(REQUIRED, -800)
    strength_table:at_put(STRONG_PREFERRED, -600)
    strength_table:at_put(PREFERRED, -400)
    strength_table:at_put(STRONG_DEFAULT, -200)
    strength_table:at_put(DEFAULT, 0)
    strength_table:at_put(WEAK_DEFAULT, 500)
    strength_table:at_put(ABSOLUTE_WEAKEST, 10000)
    return strength_table
end

local STRENGTH_TABLE = create_strength_table()

local Strength = class()

function Strength.new(symbolic_value)
    return setmetatable({
        symbolic_value = symbolic_value,
        arithmetic_value = STRENGTH_TABLE:at(symbolic_value),
    }, Strength)
end

function Strength:same_as(s) return self.arithmetic_value == s.arithmetic_value end
function Strength:stronger(s) return self.arithmetic_value < s.arithmetic_value end
function Strength:weaker(s) return self.arithmetic_value > s.arithmetic_value end

function Strength:strongest(s)
    if s:stronger(self) then
        return s
    end
    return self
end

function Strength:weakest(s)
    if s:weaker(self) then
        return s
    end
    return self
end

local STRENGTH_CONSTANTS

function Strength.of(strength)
    return STRENGTH_CONSTANTS:at(strength)
end

local function create_strength_constants()
    local strength_constant = IdentityDictionary.new()
    STRENGTH_TABLE:get_keys():for_each(function(key)
        strength_constant:at_put(key, Strength.new(key))
    end)
    return strength_constant
end

STRENGTH_CONSTANTS = create_strength_constants()

local STRENGTH_ABSOLUTE_WEAKEST = Strength.of(ABSOLUTE_WEAKEST)
local STRENGTH_REQUIRED = Strength.of(REQUIRED)

-- An abstract constraint: the remaining methods are implemented by every subclass.
local AbstractConstraint = class()

function AbstractConstraint:init(strength)
    self.strength = Strength.of(strength)
end

function AbstractConstraint:is_input()
    return false
end

function AbstractConstraint:add_constraint(planner)
    self:add_to_graph()
    planner:incremental_add(self)
end

function AbstractConstraint:destroy_constraint(planner)
    if self:is_satisfied() then
        planner:incremental_remove(self)
    end
    self:remove_from_graph()
end

function AbstractConstraint:inputs_known(mark)
    return not self:inputs_has_one(function(v)
        return not (v.mark == mark or v.stay or v.determined_by == nil)
    end)
end

function AbstractConstraint:satisfy(mark, planner)
    local overridden = nil
    self:choose_method(mark)
    if self:is_satisfied() then
        self:inputs_do(function(i) i.mark = mark end)
        local out = self:output()
        overridden = out.determined_by
        if overridden ~= nil then
            overridden:mark_unsatisfied()
        end
        out.determined_by = self
        if not planner:add_propagate(self, mark) then
            error("Cycle encountered")
        end
        out.mark = mark
    else
        overridden = nil
        if self.strength:same_as(STRENGTH_REQUIRED) then
            error("Could not satisfy a required constraint")
        end
    end
    return overridden
end

local BinaryConstraint = class(AbstractConstraint)

function BinaryConstraint:init(var1, var2, strength, planner)
    AbstractConstraint.init(self, strength)
    self.v1 = var1
    self.v2 = var2
    self.direction = NONE
end

function BinaryConstraint:is_satisfied() return self.direction ~= NONE end

function BinaryConstraint:add_to_graph()
    self.v1:add_constraint(self)
    self.v2:add_constraint(self)
    self.direction = NONE
end

function BinaryConstraint:remove_from_graph()
    if self.v1 ~= nil then
        self.v1:remove_constraint(self)
    end
    if self.v2 ~= nil then
        self.v2:remove_constraint(self)
    end
    self.direction = NONE
end

function BinaryConstraint:choose_method(mark)
    if self.v1.mark == mark then
        if self.v2.mark ~= mark and self.strength:stronger(self.v2.walk_strength) then
            self.direction = FORWARD
            return self.direction
        end
        self.direction = NONE
        return self.direction
    end
    if self.v2.mark == mark then
        if self.v1.mark ~= mark and self.strength:stronger(self.v1.walk_strength) then
            self.direction = BACKWARD
            return self.direction
        end
        self.direction = NONE
        return self.direction
    end
    -- Neither variable is marked, so we have a choice.
    if self.v1.walk_strength:weaker(self.v2.walk_strength) then
        if self.strength:stronger(self.v1.walk_strength) then
            self.direction = BACKWARD
            return self.direction
        end
        self.direction = NONE
        return self.direction
    end
    if self.strength:stronger(self.v2.walk_strength) then
        self.direction = FORWARD
        return self.direction
    end
    self.direction = NONE
    return self.direction
end

function BinaryConstraint:inputs_do(f)
    if self.direction == FORWARD then
        f(self.v1)
    else
        f(self.v2)
    end
end

function BinaryConstraint:inputs_has_one(f)
    if self.direction == FORWARD then
        return f(self.v1)
    end
    return f(self.v2)
end

function BinaryConstraint:mark_unsatisfied() self.direction = NONE end

function BinaryConstraint:output()
    if self.direction == FORWARD then
        return self.v2
    end
    return self.v1
end

function BinaryConstraint:recalculate()
    local ihn, out
    if self.direction == FORWARD then
        ihn = self.v1
        out = self.v2
    else
        ihn = self.v2
        out = self.v1
    end
    out.walk_strength = self.strength:weakest(ihn.walk_strength)
    out.stay = ihn.stay
    if out.stay then
        self:execute()
    end
end

local UnaryConstraint = class(AbstractConstraint)

function UnaryConstraint:init(v, strength, planner)
    AbstractConstraint.init(self, strength)
    self.output_ = v
    self.satisfied = false
    self:add_constraint(planner)
end

function UnaryConstraint:is_satisfied() return self.satisfied end

function UnaryConstraint:add_to_graph()
    self.output_:add_constraint(self)
    self.satisfied = false
end

function UnaryConstraint:remove_from_graph()
    if self.output_ ~= nil then
        self.output_:remove_constraint(self)
    end
    self.satisfied = false
end

function UnaryConstraint:choose_method(mark)
    self.satisfied = self.output_.mark ~= mark and
        self.strength:stronger(self.output_.walk_strength)
    return NONE
end

function UnaryConstraint:inputs_do(f)
    -- No-op: a unary constraint has no input variable.
end

function UnaryConstraint:inputs_has_one(f) return false end

function UnaryConstraint:mark_unsatisfied() self.satisfied = false end

function UnaryConstraint:output() return self.output_ end

function UnaryConstraint:recalculate()
    self.output_.walk_strength = self.strength
    self.output_.stay = not self:is_input()
    if self.output_.stay then
        self:execute()
    end
end

local EditConstraint = class(UnaryConstraint)

function EditConstraint.new(v, strength, planner)
    local c = setmetatable({}, EditConstraint)
    UnaryConstraint.init(c, v, strength, planner)
    return c
end

function EditConstraint:is_input() return true end

function EditConstraint:execute()
    -- Edit constraints do nothing.
end

local EqualityConstraint = class(BinaryConstraint)

function EqualityConstraint.new(var1, var2, strength, planner)
    local c = setmetatable({}, EqualityConstraint)
    BinaryConstraint.init(c, var1, var2, strength, planner)
    c:add_constraint(planner)
    return c
end

function EqualityConstraint:execute()
    if self.direction == FORWARD then
        self.v2.value = self.v1.value
    else
        self.v1.value = self.v2.value
    end
end

local ScaleConstraint = class(BinaryConstraint)

function ScaleConstraint.new(src, scale, offset, dest, strength, planner)
    local c = setmetatable({}, ScaleConstraint)
    BinaryConstraint.init(c, src, dest, strength, planner)
    c.scale = scale
    c.offset = offset
    c:add_constraint(planner)
    return c
end

function ScaleConstraint:add_to_graph()
    self.v1:add_constraint(self)
    self.v2:add_constraint(self)
    self.scale:add_constraint(self)
    self.offset:add_constraint(self)
    self.direction = NONE
end

function ScaleConstraint:remove_from_graph()
    if self.v1 ~= nil then
        self.v1:remove_constraint(self)
    end
    if self.v2 ~= nil then
        self.v2:remove_constraint(self)
    end
    if self.scale ~= nil then
        self.scale:remove_constraint(self)
    end
    if self.offset ~= nil then
        self.offset:remove_constraint(self)
    end
    self.direction = NONE
end

function ScaleConstraint:execute()
    if self.direction == FORWARD then
        self.v2.value = self.v1.value * self.scale.value + self.offset.value
    else
        -- Floor division without `//` (LuaJIT): exact for these small integers; math.floor
        -- yields an integer in Lua 5.4, as `//` on integers does.
        self.v1.value = floor((self.v2.value - self.offset.value) / self.scale.value)
    end
end

function ScaleConstraint:inputs_do(f)
    if self.direction == FORWARD then
        f(self.v1)
        f(self.scale)
        f(self.offset)
    else
        f(self.v2)
        f(self.scale)
        f(self.offset)
    end
end

function ScaleConstraint:recalculate()
    local ihn, out
    if self.direction == FORWARD then
        ihn = self.v1
        out = self.v2
    else
        out = self.v1
        ihn = self.v2
    end
    out.walk_strength = self.strength:weakest(ihn.walk_strength)
    out.stay = ihn.stay and self.scale.stay and self.offset.stay
    if out.stay then
        self:execute()
    end
end

local StayConstraint = class(UnaryConstraint)

function StayConstraint.new(v, strength, planner)
    local c = setmetatable({}, StayConstraint)
    UnaryConstraint.init(c, v, strength, planner)
    return c
end

function StayConstraint:execute()
    -- Stay constraints do nothing.
end

local Variable = class()

function Variable.new(value)
    return setmetatable({
        value = value,
        constraints = Vector.new(),
        determined_by = nil,
        mark = 0,
        walk_strength = STRENGTH_ABSOLUTE_WEAKEST,
        stay = true,
    }, Variable)
end

function Variable:add_constraint(c)
    self.constraints:append(c)
end

function Variable:remove_constraint(c)
    self.constraints:remove(c)
    if self.determined_by == c then
        self.determined_by = nil
    end
end

local Plan = class(Vector)

function Plan.new()
    return setmetatable({storage = {}, first_idx = 1, last_idx = 1}, Plan)
end

function Plan:execute()
    self:for_each(function(c) c:execute() end)
end

local Planner = class()

function Planner.new()
    return setmetatable({current_mark = 1}, Planner)
end

function Planner:incremental_add(c)
    local mark = self:new_mark()
    local overridden = c:satisfy(mark, self)
    while overridden ~= nil do
        overridden = overridden:satisfy(mark, self)
    end
end

function Planner:incremental_remove(c)
    local out = c:output()
    c:mark_unsatisfied()
    c:remove_from_graph()
    local unsatisfied = self:remove_propagate_from(out)
    unsatisfied:for_each(function(u) self:incremental_add(u) end)
end

function Planner:extract_plan_from_constraints(constraints)
    local sources = Vector.new()
    constraints:for_each(function(c)
        if c:is_input() and c:is_satisfied() then
            sources:append(c)
        end
    end)
    return self:make_plan(sources)
end

function Planner:make_plan(sources)
    local mark = self:new_mark()
    local plan = Plan.new()
    local todo = sources
    while not todo:is_empty() do
        local c = todo:remove_first()
        if c:output().mark ~= mark and c:inputs_known(mark) then
            -- Not in the plan already and eligible for inclusion.
            plan:append(c)
            c:output().mark = mark
            self:add_constraints_consuming_to(c:output(), todo)
        end
    end
    return plan
end

function Planner:propagate_from(v)
    local todo = Vector.new()
    self:add_constraints_consuming_to(v, todo)
    while not todo:is_empty() do
        local c = todo:remove_first()
        c:execute()
        self:add_constraints_consuming_to(c:output(), todo)
    end
end

function Planner:add_constraints_consuming_to(v, coll)
    local determining = v.determined_by
    v.constraints:for_each(function(c)
        if c ~= determining and c:is_satisfied() then
            coll:append(c)
        end
    end)
end

function Planner:add_propagate(c, mark)
    local todo = Vector.with(c)
    while not todo:is_empty() do
        local d = todo:remove_first()
        if d:output().mark == mark then
            self:incremental_remove(c)
            return false
        end
        d:recalculate()
        self:add_constraints_consuming_to(d:output(), todo)
    end
    return true
end

function Planner:change_var(v, new_value)
    local edit = EditConstraint.new(v, PREFERRED, self)
    local plan = self:extract_plan_from_constraints(Vector.with(edit))
    for _ = 0, 9 do
        v.value = new_value
        plan:execute()
    end
    edit:destroy_constraint(self)
end

function Planner:constraints_consuming(v, f)
    local determining = v.determined_by
    v.constraints:for_each(function(c)
        if c ~= determining and c:is_satisfied() then
            f(c)
        end
    end)
end

function Planner:new_mark()
    self.current_mark = self.current_mark + 1
    return self.current_mark
end

function Planner:remove_propagate_from(out)
    local unsatisfied = Vector.new()
    out.determined_by = nil
    out.walk_strength = STRENGTH_ABSOLUTE_WEAKEST
    out.stay = true
    local todo = Vector.with(out)
    while not todo:is_empty() do
        local v = todo:remove_first()
        v.constraints:for_each(function(c)
            if not c:is_satisfied() then
                unsatisfied:append(c)
            end
        end)
        self:constraints_consuming(v, function(c)
            c:recalculate()
            todo:append(c:output())
        end)
    end
    unsatisfied:sort(function(c1, c2)
        if c1.strength:stronger(c2.strength) then
            return -1
        end
        return 1
    end)
    return unsatisfied
end

-- The standard DeltaBlue benchmark: a long chain of equality constraints with a stay
-- constraint at one end and an edit constraint added at the other.
function Planner.chain_test(n)
    local planner = Planner.new()
    local vars = {}
    for i = 1, n + 1 do
        vars[i] = Variable.new(0)
    end
    -- Thread a chain of equality constraints through the variables.
    for i = 1, n do
        local v1 = vars[i]
        local v2 = vars[i + 1]
        EqualityConstraint.new(v1, v2, REQUIRED, planner)
    end
    StayConstraint.new(vars[n + 1], STRONG_DEFAULT, planner)
    local edit = EditConstraint.new(vars[1], PREFERRED, planner)
    local plan = planner:extract_plan_from_constraints(Vector.with(edit))
    for v = 0, 99 do
        vars[1].value = v
        plan:execute()
        if vars[n + 1].value ~= v then
            error("Chain test failed!")
        end
    end
    edit:destroy_constraint(planner)
end

-- Two sets of variables related by a linear transformation (scale and offset).
function Planner.projection_test(n)
    local planner = Planner.new()
    local dests = Vector.new()
    local scale = Variable.new(10)
    local offset = Variable.new(1000)
    local src = nil
    local dst = nil
    for i = 0, n - 1 do
        src = Variable.new(i)
        dst = Variable.new(i)
        dests:append(dst)
        StayConstraint.new(src, DEFAULT, planner)
        ScaleConstraint.new(src, scale, offset, dst, REQUIRED, planner)
    end
    planner:change_var(src, 17)
    if dst.value ~= 1170 then
        error("Projection 1 failed")
    end
    planner:change_var(dst, 1050)
    if src.value ~= 5 then
        error("Projection 2 failed")
    end
    planner:change_var(scale, 5)
    for i = 0, n - 2 do
        if dests:at(i + 1).value ~= i * 5 + 1000 then
            error("Projection 3 failed")
        end
    end
    planner:change_var(offset, 2000)
    for i = 0, n - 2 do
        if dests:at(i + 1).value ~= i * 5 + 2000 then
            error("Projection 4 failed")
        end
    end
end

local function benchmark(inner_iterations)
    Planner.chain_test(inner_iterations)
    Planner.projection_test(inner_iterations)
    return true
end

local function verify_result(result, inner_iterations)
    return result
end

som.run_inner("DeltaBlue", 12000, benchmark, verify_result, "wrong result", true)
