-- Mandelbrot — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- The Computer Language Benchmarks Game's mandelbrot, adapted as in AWFY: computes the
-- image of size x size and xors its packed bytes into one checksum.
--
--   lua5.4 bench/awfy/mandelbrot.lua [ITER [INNER]]     (INNER is the size; default 500)

local som = require("som")

-- LuaJIT parses no bit operators, so the checksum's a ~ b (0 <= a, b < 256, packed bytes) is
-- arithmetic: XOR4[16 * x + y + 1] = x ~ y for nibbles, built once by bitwise arithmetic, and
-- xor8 looks up the high and the low nibble pair. Every result is an integer term, so it stays
-- an integer in Lua 5.4. Called once per 8 pixels, against up to 50 iterations per pixel.
local XOR4 = {}
for x = 0, 15 do
    for y = 0, 15 do
        local a, b, r, bit = x, y, 0, 1
        while a > 0 or b > 0 do
            local ra, rb = a % 2, b % 2
            if ra ~= rb then
                r = r + bit
            end
            a = (a - ra) / 2
            b = (b - rb) / 2
            bit = bit * 2
        end
        XOR4[16 * x + y + 1] = r
    end
end

local function xor8(a, b)
    local al, bl = a % 16, b % 16
    return XOR4[(a - al) + (b - bl) / 16 + 1] * 16 + XOR4[16 * al + bl + 1]
end

local Mandelbrot = {} do
Mandelbrot.__index = Mandelbrot

function Mandelbrot.new ()
    return setmetatable({}, Mandelbrot)
end

function Mandelbrot:verify_result (result, inner_iterations)
    if inner_iterations == 500 then
        return result == 191
    end
    if inner_iterations == 750 then
        return result == 50
    end
    if inner_iterations == 1 then
        return result == 128
    end
    print(("No verification result for %d found"):format(inner_iterations))
    print(("Result is: %d"):format(result))
    return false
end

function Mandelbrot:mandelbrot (size)
    local sum = 0
    local byte_acc = 0
    local bit_num = 0

    local y = 0
    while y < size do
        local ci = (2.0 * y / size) - 1.0
        local x = 0

        while x < size do
            local zrzr = 0.0
            local zr = 0.0
            local zizi = 0.0
            local zi = 0.0
            local cr = (2.0 * x / size) - 1.5

            local z = 0
            local not_done = true
            local escape = 0
            while not_done and z < 50 do
                zr = zrzr - zizi + cr
                zi = 2.0 * zr * zi + ci

                -- preserve recalculation
                zrzr = zr * zr
                zizi = zi * zi
                if zrzr + zizi > 4.0 then
                    not_done = false
                    escape = 1
                end
                z = z + 1
            end

            byte_acc = byte_acc * 2 + escape
            bit_num = bit_num + 1

            if bit_num == 8 then
                sum = xor8(sum, byte_acc)
                byte_acc = 0
                bit_num = 0
            elseif x == size - 1 then
                -- byte_acc << (8 - bit_num), once per row
                while bit_num < 8 do
                    byte_acc = byte_acc * 2
                    bit_num = bit_num + 1
                end
                sum = xor8(sum, byte_acc)
                byte_acc = 0
                bit_num = 0
            end
            x = x + 1
        end
        y = y + 1
    end
    return sum
end

end -- class Mandelbrot

local bench = Mandelbrot.new()
som.run_inner("Mandelbrot", 500, function(inner) return bench:mandelbrot(inner) end,
    function(result, inner) return bench:verify_result(result, inner) end, nil, false)
