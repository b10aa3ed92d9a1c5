-- Towers — Are We Fast Yet (Marr et al., DLS 2016), Lua 5.4 version.
-- Solves the towers of Hanoi for 13 disks, with the piles as linked lists of disks.
--
--   lua5.4 bench/awfy/towers.lua [ITER [INNER]]     (default INNER 600)

local som = require("som")

local TowersDisk = {} do
TowersDisk.__index = TowersDisk

function TowersDisk.new (size)
    return setmetatable({size = size, next = nil}, TowersDisk)
end

end -- class TowersDisk

local Towers = {} do
Towers.__index = Towers

function Towers.new ()
    return setmetatable({piles = nil, moves_done = 0}, Towers)
end

function Towers:benchmark ()
    self.piles = {}
    self:build_tower_at(1, 13)
    self.moves_done = 0
    self:move_disks(13, 1, 2)
    return self.moves_done
end

function Towers:verify_result (result)
    return result == 8191
end

function Towers:push_disk (disk, pile)
    local top = self.piles[pile]
    if top ~= nil and disk.size >= top.size then
        error("Cannot put a big disk on a smaller one")
    end
    disk.next = top
    self.piles[pile] = disk
end

function Towers:pop_disk_from (pile)
    local top = self.piles[pile]
    if top == nil then
        error("Attempting to remove a disk from an empty pile")
    end
    self.piles[pile] = top.next
    top.next = nil
    return top
end

function Towers:move_top_disk (from_pile, to_pile)
    self:push_disk(self:pop_disk_from(from_pile), to_pile)
    self.moves_done = self.moves_done + 1
end

function Towers:build_tower_at (pile, disks)
    local i = disks
    while i >= 0 do
        self:push_disk(TowersDisk.new(i), pile)
        i = i - 1
    end
end

function Towers:move_disks (disks, from_pile, to_pile)
    if disks == 1 then
        self:move_top_disk(from_pile, to_pile)
    else
        local other_pile = (6 - from_pile) - to_pile
        self:move_disks(disks - 1, from_pile, other_pile)
        self:move_top_disk(from_pile, to_pile)
        self:move_disks(disks - 1, other_pile, to_pile)
    end
end

end -- class Towers

local bench = Towers.new()
som.run("Towers", 600, function() return bench:benchmark() end,
    function(result) return bench:verify_result(result) end, nil, false)
