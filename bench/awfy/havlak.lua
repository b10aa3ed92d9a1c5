-- Havlak — the "Are We Fast Yet" loop recognition benchmark (Marr et al., DLS 2016), in
-- Lua 5.4, the twin of havlak.holt: Havlak's algorithm on a synthetic control-flow graph,
-- with union-find, sets, vectors and an identity dictionary.
--
--   lua5.4 bench/awfy/havlak.lua [ITER [INNER]]     (defaults 1 and 1500)
--
-- INNER is the number of dummy loop searches; each iteration checks the number of loops and
-- of basic blocks against the suite's expected values (INNER 1, 15, 150, 1500 or 15000).
-- Block names and DFS numbers are 1-based here (Vector and table indices), 0-based in Holt.
local som = require("som")
local Vector = som.Vector
local Set = som.Set
local IdentitySet = som.IdentitySet
local IdentityDictionary = som.IdentityDictionary

local function class()
    local c = {}
    c.__index = c
    return c
end

local BasicBlock = class()

function BasicBlock.new(name)
    return setmetatable({
        in_edges = Vector.new(),
        out_edges = Vector.new(),
        name = name,
    }, BasicBlock)
end

function BasicBlock:num_pred() return self.in_edges:size() end
function BasicBlock:add_out_edge(to) self.out_edges:append(to) end
function BasicBlock:add_in_edge(from) self.in_edges:append(from) end
function BasicBlock:custom_hash() return self.name end

local BasicBlockEdge = class()

function BasicBlockEdge.new(cfg, from_name, to_name)
    local e = setmetatable({}, BasicBlockEdge)
    e.from = cfg:create_node(from_name)
    e.to = cfg:create_node(to_name)
    e.from:add_out_edge(e.to)
    e.to:add_in_edge(e.from)
    cfg:add_edge(e)
    return e
end

local ControlFlowGraph = class()

function ControlFlowGraph.new()
    return setmetatable({
        basic_block_map = Vector.new(),
        start_node = nil,
        edge_list = Vector.new(),
    }, ControlFlowGraph)
end

function ControlFlowGraph:create_node(name)
    local node = nil
    if self.basic_block_map:at(name) ~= nil then
        node = self.basic_block_map:at(name)
    else
        node = BasicBlock.new(name)
        self.basic_block_map:at_put(name, node)
    end
    if self:num_nodes() == 1 then
        self.start_node = node
    end
    return node
end

function ControlFlowGraph:add_edge(edge) self.edge_list:append(edge) end
function ControlFlowGraph:num_nodes() return self.basic_block_map:size() end
function ControlFlowGraph:get_start_basic_block() return self.start_node end
function ControlFlowGraph:get_basic_blocks() return self.basic_block_map end

local SimpleLoop = class()

function SimpleLoop.new(bb, is_reducible)
    local loop = setmetatable({
        basic_blocks = IdentitySet.new(),
        children = IdentitySet.new(),
        parent = nil,
        header = bb,
        is_root = false,
        is_reducible = is_reducible,
        counter = 0,
        nesting_level = 0,
        depth_level = 0,
    }, SimpleLoop)
    if bb ~= nil then
        loop.basic_blocks:add(bb)
    end
    return loop
end

function SimpleLoop:add_node(bb) self.basic_blocks:add(bb) end
function SimpleLoop:add_child_loop(loop) self.children:add(loop) end

function SimpleLoop:set_parent(parent)
    self.parent = parent
    self.parent:add_child_loop(self)
end

function SimpleLoop:set_is_root() self.is_root = true end

function SimpleLoop:set_nesting_level(level)
    self.nesting_level = level
    if level == 0 then
        self:set_is_root()
    end
end

local LoopStructureGraph = class()

function LoopStructureGraph.new()
    local lsg = setmetatable({
        root = SimpleLoop.new(nil, true),
        loops = Vector.new(),
        loop_counter = 0,
    }, LoopStructureGraph)
    lsg.root:set_nesting_level(0)
    lsg.root.counter = lsg.loop_counter
    lsg.loop_counter = lsg.loop_counter + 1
    lsg.loops:append(lsg.root)
    return lsg
end

function LoopStructureGraph:create_new_loop(bb, is_reducible)
    local loop = SimpleLoop.new(bb, is_reducible)
    loop.counter = self.loop_counter
    self.loop_counter = self.loop_counter + 1
    self.loops:append(loop)
    return loop
end

function LoopStructureGraph:calculate_nesting_level()
    -- Link up all first-level loops to the artificial root node.
    self.loops:for_each(function(liter)
        if not liter.is_root then
            if liter.parent == nil then
                liter:set_parent(self.root)
            end
        end
    end)
    -- Recursively traverse the tree and assign levels.
    self:calculate_nesting_level_rec(self.root, 0)
end

function LoopStructureGraph:calculate_nesting_level_rec(loop, depth)
    loop.depth_level = depth
    loop.children:for_each(function(liter)
        self:calculate_nesting_level_rec(liter, depth + 1)
        local level = 1 + liter.nesting_level
        if loop.nesting_level > level then
            level = loop.nesting_level
        end
        loop:set_nesting_level(level)
    end)
end

function LoopStructureGraph:num_loops() return self.loops:size() end

local UnionFindNode = class()

function UnionFindNode.new()
    return setmetatable({parent = nil, bb = nil, loop = nil, dfs_number = 0}, UnionFindNode)
end

function UnionFindNode:init_node(bb, dfs_number)
    self.parent = self
    self.bb = bb
    self.dfs_number = dfs_number
    self.loop = nil
end

function UnionFindNode:find_set()
    local node_list = Vector.new()
    local node = self
    while node ~= node.parent do
        if node.parent ~= node.parent.parent then
            node_list:append(node)
        end
        node = node.parent
    end
    -- Path compression: all nodes' parents point to the first-level parent.
    node_list:for_each(function(iter) iter:union(self.parent) end)
    return node
end

function UnionFindNode:union(basic_block) self.parent = basic_block end

-- Basic block classes.
local BB_TOP = 0
local BB_NONHEADER = 1
local BB_REDUCIBLE = 2
local BB_SELF = 3
local BB_IRREDUCIBLE = 4
local BB_DEAD = 5
local BB_LAST = 6

local UNVISITED = 2147483647           -- Marker for uninitialized nodes.
local MAXNONBACKPREDS = 32 * 1024      -- Safeguard against pathological algorithm behavior.

local HavlakLoopFinder = class()

function HavlakLoopFinder.new(cfg, lsg)
    return setmetatable({
        cfg = cfg,
        lsg = lsg,
        non_back_preds = Vector.new(),
        back_preds = Vector.new(),
        number = IdentityDictionary.new(),
        max_size = 0,
        header = nil,
        type = nil,
        last = nil,
        nodes = nil,
    }, HavlakLoopFinder)
end

-- Whether w is a "true" ancestor of v: dominance tested with the DFS pre-order trick.
function HavlakLoopFinder:is_ancestor(w, v)
    return w <= v and v <= self.last[w]
end

-- Depth-first traversal along out edges, numbering the nodes.
function HavlakLoopFinder:do_dfs(current_node, current)
    self.nodes[current]:init_node(current_node, current)
    self.number:at_put(current_node, current)
    local last_id = current
    local outer_blocks = current_node.out_edges
    for i = 1, outer_blocks:size() do
        local target = outer_blocks:at(i)
        if self.number:at(target) == UNVISITED then
            last_id = self:do_dfs(target, last_id + 1)
        end
    end
    self.last[current] = last_id
    return last_id
end

function HavlakLoopFinder:init_all_nodes()
    -- Step a: mark all nodes unvisited, then number them depth-first; unreached basic
    -- blocks are marked dead.
    self.cfg:get_basic_blocks():for_each(function(bb)
        self.number:at_put(bb, UNVISITED)
    end)
    self:do_dfs(self.cfg:get_start_basic_block(), 1)
end

function HavlakLoopFinder:identify_edges(size)
    -- Step b: sort each node's incoming edges into back edges (from a descendant in the
    -- DFS tree) and non-back edges (following Tarjan).
    for w = 1, size do
        self.header[w] = 1
        self.type[w] = BB_NONHEADER
        local node_w = self.nodes[w].bb
        if node_w == nil then
            self.type[w] = BB_DEAD
        else
            self:process_edges(node_w, w)
        end
    end
end

function HavlakLoopFinder:process_edges(node_w, w)
    local number = self.number
    if node_w:num_pred() > 0 then
        node_w.in_edges:for_each(function(node_v)
            local v = number:at(node_v)
            if v ~= UNVISITED then
                if self:is_ancestor(w, v) then
                    self.back_preds:at(w):append(v)
                else
                    self.non_back_preds:at(w):add(v)
                end
            end
        end)
    end
end

-- Finds loops and builds the loop forest with Havlak's algorithm, derived from Tarjan's;
-- names and step numbers follow Havlak's paper.
function HavlakLoopFinder:find_loops()
    if self.cfg:get_start_basic_block() == nil then
        return
    end
    local size = self.cfg:num_nodes()
    self.non_back_preds:remove_all()
    self.back_preds:remove_all()
    self.number:remove_all()
    if size > self.max_size then
        self.header = {}
        self.type = {}
        self.last = {}
        self.nodes = {}
        for i = 1, size do
            self.header[i] = 0
            self.type[i] = 0
            self.last[i] = 0
            self.nodes[i] = false
        end
        self.max_size = size
    end
    for i = 1, size do
        self.non_back_preds:append(Set.new())
        self.back_preds:append(Vector.new())
        self.nodes[i] = UnionFindNode.new()
    end
    self:init_all_nodes()
    self:identify_edges(size)

    -- The start node is the root of all other loops.
    self.header[1] = 1

    -- Step c: for each header node w (destination of back edges), chase backward from
    -- the sources of the back edges, collecting the loop body P. Going through the nodes
    -- in reverse DFS pre-order processes inner loop headers before outer ones.
    local w = size
    while w >= 1 do
        -- This is P in Havlak's paper.
        local node_pool = Vector.new()
        local node_w = self.nodes[w].bb
        if node_w ~= nil then
            self:step_d(w, node_pool)

            -- Copy node_pool to work_list.
            local work_list = Vector.new()
            node_pool:for_each(function(niter) work_list:append(niter) end)

            if node_pool:size() ~= 0 then
                self.type[w] = BB_REDUCIBLE
            end

            -- Work the list.
            while not work_list:is_empty() do
                local x = work_list:remove_first()

                -- Step e: chase upwards from the sources of w's back edges; a node y'
                -- that is not a descendant of w makes w the header of an irreducible
                -- loop. Give up if the algorithm degenerates.
                local non_back_size = self.non_back_preds:at(x.dfs_number):size()
                if non_back_size > MAXNONBACKPREDS then
                    return
                end
                self:step_e_process_non_back_preds(w, node_pool, work_list, x)
            end

            -- Collapse the nodes of an SCC into one node; create a loop descriptor for
            -- every SCC found and link it in.
            if node_pool:size() > 0 or self.type[w] == BB_SELF then
                local loop = self.lsg:create_new_loop(node_w, self.type[w] ~= BB_IRREDUCIBLE)
                self:set_loop_attributes(w, node_pool, loop)
            end
        end
        w = w - 1
    end
end

function HavlakLoopFinder:step_e_process_non_back_preds(w, node_pool, work_list, x)
    self.non_back_preds:at(x.dfs_number):for_each(function(iter)
        local y = self.nodes[iter]
        local ydash = y:find_set()
        if not self:is_ancestor(w, ydash.dfs_number) then
            self.type[w] = BB_IRREDUCIBLE
            self.non_back_preds:at(w):add(ydash.dfs_number)
        else
            if ydash.dfs_number ~= w then
                work_list:append(ydash)
                node_pool:append(ydash)
            end
        end
    end)
end

function HavlakLoopFinder:set_loop_attributes(w, node_pool, loop)
    self.nodes[w].loop = loop
    node_pool:for_each(function(node)
        -- Add nodes to the loop descriptor.
        self.header[node.dfs_number] = w
        node:union(self.nodes[w])
        -- Nested loops are not added, but linked together.
        if node.loop ~= nil then
            node.loop:set_parent(loop)
        else
            loop:add_node(node.bb)
        end
    end)
end

function HavlakLoopFinder:step_d(w, node_pool)
    self.back_preds:at(w):for_each(function(v)
        if v ~= w then
            node_pool:append(self.nodes[v]:find_set())
        else
            self.type[w] = BB_SELF
        end
    end)
end

local LoopTesterApp = class()

function LoopTesterApp.new()
    local app = setmetatable({
        cfg = ControlFlowGraph.new(),
        lsg = LoopStructureGraph.new(),
    }, LoopTesterApp)
    app.cfg:create_node(1)
    return app
end

-- Four basic blocks shaped like a diamond: an if/then/else.
function LoopTesterApp:build_diamond(start)
    local bb0 = start
    BasicBlockEdge.new(self.cfg, bb0, bb0 + 1)
    BasicBlockEdge.new(self.cfg, bb0, bb0 + 2)
    BasicBlockEdge.new(self.cfg, bb0 + 1, bb0 + 3)
    BasicBlockEdge.new(self.cfg, bb0 + 2, bb0 + 3)
    return bb0 + 3
end

-- Connects two existing nodes.
function LoopTesterApp:build_connect(start, end_)
    BasicBlockEdge.new(self.cfg, start, end_)
end

-- A straight sequence of n basic blocks.
function LoopTesterApp:build_straight(start, n)
    for i = 0, n - 1 do
        self:build_connect(start + i, start + i + 1)
    end
    return start + n
end

-- A simple loop with two diamonds in it.
function LoopTesterApp:build_base_loop(from)
    local header = self:build_straight(from, 1)
    local diamond1 = self:build_diamond(header)
    local d11 = self:build_straight(diamond1, 1)
    local diamond2 = self:build_diamond(d11)
    local footer = self:build_straight(diamond2, 1)
    self:build_connect(diamond2, d11)
    self:build_connect(diamond1, header)
    self:build_connect(footer, from)
    return self:build_straight(footer, 1)
end

function LoopTesterApp:main(num_dummy_loops, find_loop_iterations, par_loops,
                            ppar_loops, pppar_loops)
    self:construct_simple_cfg()
    self:add_dummy_loops(num_dummy_loops)
    self:construct_cfg(par_loops, ppar_loops, pppar_loops)
    -- Loop recognition: once, then find_loop_iterations more times.
    self:find_loops(self.lsg)
    for _ = 1, find_loop_iterations do
        self:find_loops(LoopStructureGraph.new())
    end
    self.lsg:calculate_nesting_level()
    return {self.lsg:num_loops(), self.cfg:num_nodes()}
end

function LoopTesterApp:construct_cfg(par_loops, ppar_loops, pppar_loops)
    local n = 3
    for _ = 1, par_loops do
        self.cfg:create_node(n + 1)
        self:build_connect(3, n + 1)
        n = n + 1
        for _ = 1, ppar_loops do
            local top = n
            n = self:build_straight(n, 1)
            for _ = 1, pppar_loops do
                n = self:build_base_loop(n)
            end
            local bottom = self:build_straight(n, 1)
            self:build_connect(n, top)
            n = bottom
        end
        self:build_connect(n, 1)
    end
end

function LoopTesterApp:add_dummy_loops(num_dummy_loops)
    for _ = 1, num_dummy_loops do
        self:find_loops(self.lsg)
    end
end

function LoopTesterApp:find_loops(loop_structure)
    local finder = HavlakLoopFinder.new(self.cfg, loop_structure)
    finder:find_loops()
end

function LoopTesterApp:construct_simple_cfg()
    self.cfg:create_node(1)
    self:build_base_loop(1)
    self.cfg:create_node(2)
    BasicBlockEdge.new(self.cfg, 1, 3)
end

local function verify_result(result, inner_iterations)
    if inner_iterations == 15000 then
        return result[1] == 46602 and result[2] == 5213
    end
    if inner_iterations == 1500 then
        return result[1] == 6102 and result[2] == 5213
    end
    if inner_iterations == 150 then
        return result[1] == 2052 and result[2] == 5213
    end
    if inner_iterations == 15 then
        return result[1] == 1647 and result[2] == 5213
    end
    if inner_iterations == 1 then
        return result[1] == 1605 and result[2] == 5213
    end
    print(string.format("No verification result for %d found; result is [%d, %d]",
        inner_iterations, result[1], result[2]))
    return false
end

local function benchmark(inner_iterations)
    return LoopTesterApp.new():main(inner_iterations, 50, 10, 10, 5)
end

som.run_inner("Havlak", 1500, benchmark, verify_result, "wrong loop or node count", false)
