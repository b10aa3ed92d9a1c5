-- Bounce — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Moves 100 balls with random start positions and speeds 50 steps in a 500x500 box and
-- counts how often they bounce off a wall.
--
--   lua5.4 bench/awfy/bounce.lua [ITER [INNER]]     (default INNER 1500)

local som = require("som")
local abs = math.abs

local Ball = {} do
Ball.__index = Ball

function Ball.new (random)
    return setmetatable({
        x = random:next() % 500,
        y = random:next() % 500,
        x_vel = (random:next() % 300) - 150,
        y_vel = (random:next() % 300) - 150,
    }, Ball)
end

function Ball:bounce ()
    local x_limit = 500
    local y_limit = 500
    local bounced = false
    self.x = self.x + self.x_vel
    self.y = self.y + self.y_vel
    if self.x > x_limit then
        self.x = x_limit
        self.x_vel = 0 - abs(self.x_vel)
        bounced = true
    end
    if self.x < 0 then
        self.x = 0
        self.x_vel = abs(self.x_vel)
        bounced = true
    end
    if self.y > y_limit then
        self.y = y_limit
        self.y_vel = 0 - abs(self.y_vel)
        bounced = true
    end
    if self.y < 0 then
        self.y = 0
        self.y_vel = abs(self.y_vel)
        bounced = true
    end
    return bounced
end

end -- class Ball

local Bounce = {} do
Bounce.__index = Bounce

function Bounce.new ()
    return setmetatable({}, Bounce)
end

function Bounce:benchmark ()
    local random = som.Random.new()
    local ball_count = 100
    local bounces = 0
    local balls = {}
    for _ = 1, ball_count do
        balls[#balls + 1] = Ball.new(random)
    end

    for _ = 1, 50 do
        for _, ball in ipairs(balls) do
            if ball:bounce() then
                bounces = bounces + 1
            end
        end
    end
    return bounces
end

function Bounce:verify_result (result)
    return result == 1331
end

end -- class Bounce

local bench = Bounce.new()
som.run("Bounce", 1500, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
