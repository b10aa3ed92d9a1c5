-- NBody — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- The Computer Language Benchmarks Game's n-body simulation of the Jovian planets
-- (contributed by Mark C. Lewis, modified by Chad Whipkey), as adapted in AWFY.
--
--   lua5.4 bench/awfy/nbody.lua [ITER [INNER]]     (INNER is the step count; default 250000)

local som = require("som")

local sqrt = math.sqrt

local PI = 3.141592653589793
local SOLAR_MASS = 4.0 * PI * PI
local DAYS_PER_YEAR = 365.24

local Body = {} do
Body.__index = Body

function Body.new (x, y, z, vx, vy, vz, mass)
    return setmetatable({
        x = x,
        y = y,
        z = z,
        vx = vx * DAYS_PER_YEAR,
        vy = vy * DAYS_PER_YEAR,
        vz = vz * DAYS_PER_YEAR,
        mass = mass * SOLAR_MASS,
    }, Body)
end

function Body:offset_momentum (px, py, pz)
    self.vx = 0.0 - (px / SOLAR_MASS)
    self.vy = 0.0 - (py / SOLAR_MASS)
    self.vz = 0.0 - (pz / SOLAR_MASS)
end

function Body.jupiter ()
    return Body.new(4.8414314424647209,
        -1.16032004402742839,
        -0.103622044471123109,
        0.00166007664274403694,
        0.00769901118419740425,
        -0.0000690460016972063023,
        0.000954791938424326609)
end

function Body.saturn ()
    return Body.new(8.34336671824457987,
        4.12479856412430479,
        -0.403523417114321381,
        -0.00276742510726862411,
        0.00499852801234917238,
        0.0000230417297573763929,
        0.000285885980666130812)
end

function Body.uranus ()
    return Body.new(12.894369562139131,
        -15.1111514016986312,
        -0.223307578892655734,
        0.00296460137564761618,
        0.0023784717395948095,
        -0.0000296589568540237556,
        0.0000436624404335156298)
end

function Body.neptune ()
    return Body.new(15.3796971148509165,
        -25.9193146099879641,
        0.179258772950371181,
        0.00268067772490389322,
        0.00162824170038242295,
        -0.000095159225451971587,
        0.0000515138902046611451)
end

function Body.sun ()
    return Body.new(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
end

end -- class Body

local NBodySystem = {} do
NBodySystem.__index = NBodySystem

function NBodySystem.new ()
    return setmetatable({bodies = NBodySystem.create_bodies()}, NBodySystem)
end

function NBodySystem.create_bodies ()
    local bodies = {Body.sun(), Body.jupiter(), Body.saturn(), Body.uranus(), Body.neptune()}
    local px = 0.0
    local py = 0.0
    local pz = 0.0
    for _, b in ipairs(bodies) do
        px = px + b.vx * b.mass
        py = py + b.vy * b.mass
        pz = pz + b.vz * b.mass
    end
    bodies[1]:offset_momentum(px, py, pz)
    return bodies
end

function NBodySystem:advance (dt)
    local n = #self.bodies
    for i = 1, n do
        local i_body = self.bodies[i]
        for j = i + 1, n do
            local j_body = self.bodies[j]
            local dx = i_body.x - j_body.x
            local dy = i_body.y - j_body.y
            local dz = i_body.z - j_body.z
            local d_squared = dx * dx + dy * dy + dz * dz
            local distance = sqrt(d_squared)
            local mag = dt / (d_squared * distance)

            i_body.vx = i_body.vx - dx * j_body.mass * mag
            i_body.vy = i_body.vy - dy * j_body.mass * mag
            i_body.vz = i_body.vz - dz * j_body.mass * mag

            j_body.vx = j_body.vx + dx * i_body.mass * mag
            j_body.vy = j_body.vy + dy * i_body.mass * mag
            j_body.vz = j_body.vz + dz * i_body.mass * mag
        end
    end
    for _, body in ipairs(self.bodies) do
        body.x = body.x + dt * body.vx
        body.y = body.y + dt * body.vy
        body.z = body.z + dt * body.vz
    end
end

function NBodySystem:energy ()
    local e = 0.0
    local n = #self.bodies
    for i = 1, n do
        local i_body = self.bodies[i]
        e = e + 0.5 * i_body.mass * (i_body.vx * i_body.vx +
            i_body.vy * i_body.vy +
            i_body.vz * i_body.vz)
        for j = i + 1, n do
            local j_body = self.bodies[j]
            local dx = i_body.x - j_body.x
            local dy = i_body.y - j_body.y
            local dz = i_body.z - j_body.z
            local distance = sqrt(dx * dx + dy * dy + dz * dz)
            e = e - (i_body.mass * j_body.mass) / distance
        end
    end
    return e
end

end -- class NBodySystem

local NBody = {} do
NBody.__index = NBody

function NBody.new ()
    return setmetatable({}, NBody)
end

function NBody:benchmark (inner_iterations)
    local system = NBodySystem.new()
    for _ = 1, inner_iterations do
        system:advance(0.01)
    end
    return system:energy()
end

function NBody:verify_result (result, inner_iterations)
    if inner_iterations == 250000 then
        return result == -0.1690859889909308
    end
    if inner_iterations == 1 then
        return result == -0.16907495402506745
    end
    print(("No verification result for %d found"):format(inner_iterations))
    print(("Result is: %.17g"):format(result))
    return false
end

end -- class NBody

local bench = NBody.new()
som.run_inner("NBody", 250000, function(inner) return bench:benchmark(inner) end,
    function(result, inner) return bench:verify_result(result, inner) end, nil, false)
