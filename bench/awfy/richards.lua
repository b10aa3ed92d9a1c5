-- Richards — the "Are We Fast Yet" operating-system scheduler simulation (Marr et al., DLS 2016),
-- in Lua 5.4, the twin of richards.holt.
--
--   lua5.4 bench/awfy/richards.lua [ITER [INNER]]     (defaults 1 and 1)
--
-- Each inner iteration runs the scheduler once and checks queue_count 23246 and hold_count 9297.
-- Task identities are 1-based here (table indices), 0-based in Holt.

local som = require("som")

local IDLER = 1
local WORKER = 2
local HANDLER_A = 3
local HANDLER_B = 4
local DEVICE_A = 5
local DEVICE_B = 6
local NUM_TYPES = 6

local DEVICE_PACKET_KIND = 0
local WORK_PACKET_KIND = 1
local DATA_SIZE = 4

local floor = math.floor

local function class(base)
    local c = {}
    c.__index = c
    if base then
        setmetatable(c, {__index = base})
    end
    return c
end

local RBObject = class()

function RBObject:append(packet, queue_head)
    packet.link = nil
    if queue_head == nil then
        return packet
    end
    local mouse = queue_head
    local link = mouse.link
    while link ~= nil do
        mouse = link
        link = mouse.link
    end
    mouse.link = packet
    return queue_head
end

local DeviceTaskDataRecord = class(RBObject)

function DeviceTaskDataRecord.new()
    return setmetatable({pending = nil}, DeviceTaskDataRecord)
end

local HandlerTaskDataRecord = class(RBObject)

function HandlerTaskDataRecord.new()
    return setmetatable({work_in = nil, device_in = nil}, HandlerTaskDataRecord)
end

function HandlerTaskDataRecord:device_in_add(packet)
    self.device_in = self:append(packet, self.device_in)
end

function HandlerTaskDataRecord:work_in_add(packet)
    self.work_in = self:append(packet, self.work_in)
end

local IdleTaskDataRecord = class(RBObject)

function IdleTaskDataRecord.new()
    return setmetatable({control = 1, count = 10000}, IdleTaskDataRecord)
end

local WorkerTaskDataRecord = class(RBObject)

function WorkerTaskDataRecord.new()
    return setmetatable({destination = HANDLER_A, count = 0}, WorkerTaskDataRecord)
end

local Packet = class(RBObject)

function Packet.new(link, identity, kind)
    return setmetatable({
        link = link,
        identity = identity,
        kind = kind,
        datum = 1,
        data = {0, 0, 0, 0},
    }, Packet)
end

local TaskState = class(RBObject)

function TaskState.new()
    return setmetatable({
        packet_pending_ = false,
        task_waiting = false,
        task_holding = false,
    }, TaskState)
end

function TaskState:is_packet_pending() return self.packet_pending_ end
function TaskState:is_task_waiting() return self.task_waiting end
function TaskState:is_task_holding() return self.task_holding end

function TaskState:packet_pending()
    self.packet_pending_ = true
    self.task_waiting = false
    self.task_holding = false
    return self
end

function TaskState:running()
    self.packet_pending_ = false
    self.task_waiting = false
    self.task_holding = false
    return self
end

function TaskState:waiting()
    self.packet_pending_ = false
    self.task_holding = false
    self.task_waiting = true
    return self
end

function TaskState:waiting_with_packet()
    self.task_holding = false
    self.task_waiting = true
    self.packet_pending_ = true
    return self
end

function TaskState:is_running()
    return not self.packet_pending_ and not self.task_waiting and not self.task_holding
end

function TaskState:is_task_holding_or_waiting()
    return self.task_holding or (not self.packet_pending_ and self.task_waiting)
end

function TaskState:is_waiting()
    return not self.packet_pending_ and self.task_waiting and not self.task_holding
end

function TaskState:is_waiting_with_packet()
    return self.packet_pending_ and self.task_waiting and not self.task_holding
end

function TaskState.create_packet_pending() return TaskState.new():packet_pending() end
function TaskState.create_running() return TaskState.new():running() end
function TaskState.create_waiting() return TaskState.new():waiting() end
function TaskState.create_waiting_with_packet() return TaskState.new():waiting_with_packet() end

local TaskControlBlock = class(TaskState)

function TaskControlBlock.new(link, identity, priority, initial_work_queue,
                              initial_state, private_data, fn)
    return setmetatable({
        link = link,
        identity = identity,
        priority = priority,
        input = initial_work_queue,
        packet_pending_ = initial_state:is_packet_pending(),
        task_waiting = initial_state:is_task_waiting(),
        task_holding = initial_state:is_task_holding(),
        handle = private_data,
        fn = fn,
    }, TaskControlBlock)
end

function TaskControlBlock:add_input_and_check_priority(packet, old_task)
    if self.input == nil then
        self.input = packet
        self.packet_pending_ = true
        if self.priority > old_task.priority then
            return self
        end
    else
        self.input = self:append(packet, self.input)
    end
    return old_task
end

function TaskControlBlock:run_task()
    local message = nil
    if self:is_waiting_with_packet() then
        message = self.input
        self.input = message.link
        if self.input == nil then
            self:running()
        else
            self:packet_pending()
        end
    end
    local f = self.fn
    return f(message, self.handle)
end

local Scheduler = class(RBObject)

function Scheduler.new()
    return setmetatable({
        task_list = nil,
        current_task = nil,
        current_task_identity = 0,
        task_table = {false, false, false, false, false, false},
        queue_count = 0,
        hold_count = 0,
    }, Scheduler)
end

function Scheduler:create_device(identity, priority, work, state)
    self:create_task(identity, priority, work, state, DeviceTaskDataRecord.new(),
        function(packet, data)
            local function_work = packet
            if function_work == nil then
                function_work = data.pending
                if function_work == nil then
                    return self:wait()
                end
                data.pending = nil
                return self:queue_packet(function_work)
            end
            data.pending = function_work
            return self:hold_self()
        end)
end

function Scheduler:create_handler(identity, priority, work, state)
    self:create_task(identity, priority, work, state, HandlerTaskDataRecord.new(),
        function(packet, data)
            if packet ~= nil then
                if packet.kind == WORK_PACKET_KIND then
                    data:work_in_add(packet)
                else
                    data:device_in_add(packet)
                end
            end
            local work_packet = data.work_in
            if work_packet == nil then
                return self:wait()
            end
            local count = work_packet.datum
            if count > DATA_SIZE then
                data.work_in = work_packet.link
                return self:queue_packet(work_packet)
            end
            local device_packet = data.device_in
            if device_packet == nil then
                return self:wait()
            end
            data.device_in = device_packet.link
            device_packet.datum = work_packet.data[count]
            work_packet.datum = count + 1
            return self:queue_packet(device_packet)
        end)
end

function Scheduler:create_idler(identity, priority, work, state)
    self:create_task(identity, priority, work, state, IdleTaskDataRecord.new(),
        function(packet, data)
            data.count = data.count - 1
            if data.count == 0 then
                return self:hold_self()
            end
            -- control stays in [0, 2^16) (it starts at 1), so the bit operations of the
            -- original (control & 1, control >> 1, ~ 53256) are plain arithmetic here, exact
            -- in Lua 5.4 integers and LuaJIT doubles alike (LuaJIT parses no bit operators).
            local control = data.control
            if control % 2 == 0 then
                data.control = floor(control / 2)
                return self:release(DEVICE_A)
            end
            -- h ~ 53256 for h = control >> 1 < 2^15, 53256 = 0x8000 + 0x4000 + 0x1000 + 0x8:
            -- xor with a single bit b adds b when that bit of h is clear, subtracts it when set.
            local h = floor(control / 2)
            local r = h + 0x8000
            if h % 0x8000 >= 0x4000 then r = r - 0x4000 else r = r + 0x4000 end
            if h % 0x2000 >= 0x1000 then r = r - 0x1000 else r = r + 0x1000 end
            if h % 0x10 >= 0x8 then r = r - 0x8 else r = r + 0x8 end
            data.control = r
            return self:release(DEVICE_B)
        end)
end

function Scheduler:create_packet(link, identity, kind)
    return Packet.new(link, identity, kind)
end

function Scheduler:create_task(identity, priority, work, state, data, fn)
    local t = TaskControlBlock.new(self.task_list, identity, priority, work, state, data, fn)
    self.task_list = t
    self.task_table[identity] = t
end

function Scheduler:create_worker(identity, priority, work, state)
    self:create_task(identity, priority, work, state, WorkerTaskDataRecord.new(),
        function(packet, data)
            if packet == nil then
                return self:wait()
            end
            if data.destination == HANDLER_A then
                data.destination = HANDLER_B
            else
                data.destination = HANDLER_A
            end
            packet.identity = data.destination
            packet.datum = 1
            for i = 1, DATA_SIZE do
                data.count = data.count + 1
                if data.count > 26 then
                    data.count = 1
                end
                packet.data[i] = 65 + data.count - 1
            end
            return self:queue_packet(packet)
        end)
end

function Scheduler:start()
    local work_q = nil
    self:create_idler(IDLER, 0, nil, TaskState.create_running())
    work_q = self:create_packet(nil, WORKER, WORK_PACKET_KIND)
    work_q = self:create_packet(work_q, WORKER, WORK_PACKET_KIND)

    self:create_worker(WORKER, 1000, work_q, TaskState.create_waiting_with_packet())
    work_q = self:create_packet(nil, DEVICE_A, DEVICE_PACKET_KIND)
    work_q = self:create_packet(work_q, DEVICE_A, DEVICE_PACKET_KIND)
    work_q = self:create_packet(work_q, DEVICE_A, DEVICE_PACKET_KIND)

    self:create_handler(HANDLER_A, 2000, work_q, TaskState.create_waiting_with_packet())
    work_q = self:create_packet(nil, DEVICE_B, DEVICE_PACKET_KIND)
    work_q = self:create_packet(work_q, DEVICE_B, DEVICE_PACKET_KIND)
    work_q = self:create_packet(work_q, DEVICE_B, DEVICE_PACKET_KIND)

    self:create_handler(HANDLER_B, 3000, work_q, TaskState.create_waiting_with_packet())
    self:create_device(DEVICE_A, 4000, nil, TaskState.create_waiting())
    self:create_device(DEVICE_B, 5000, nil, TaskState.create_waiting())

    self:schedule()

    return self.queue_count == 23246 and self.hold_count == 9297
end

function Scheduler:find_task(identity)
    local t = self.task_table[identity]
    if not t then
        error("find_task failed")
    end
    return t
end

function Scheduler:hold_self()
    self.hold_count = self.hold_count + 1
    local current = self.current_task
    current.task_holding = true
    return current.link
end

function Scheduler:queue_packet(packet)
    local t = self:find_task(packet.identity)
    self.queue_count = self.queue_count + 1
    packet.link = nil
    packet.identity = self.current_task_identity
    return t:add_input_and_check_priority(packet, self.current_task)
end

function Scheduler:release(identity)
    local t = self:find_task(identity)
    t.task_holding = false
    if t.priority > self.current_task.priority then
        return t
    end
    return self.current_task
end

function Scheduler:wait()
    local current = self.current_task
    current.task_waiting = true
    return current
end

function Scheduler:schedule()
    self.current_task = self.task_list
    while self.current_task ~= nil do
        if self.current_task:is_task_holding_or_waiting() then
            self.current_task = self.current_task.link
        else
            self.current_task_identity = self.current_task.identity
            self.current_task = self.current_task:run_task()
        end
    end
end

local function benchmark()
    return Scheduler.new():start()
end

local function verify_result(result)
    return result
end

som.run("Richards", 1, benchmark, verify_result, "wrong queue or hold count", false)
