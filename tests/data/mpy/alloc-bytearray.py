# One bytearray of N bytes between two dumps, inside one step: this port
# collects garbage only between steps, so nothing else can change in between.
# N is set by an earlier step (node board/run-script.mjs -c "N = 1000" ...).
# bytearray(N) is two allocations: the object (A, one 16-byte block on
# wasm32) and its item buffer (h, N bytes rounded up to whole blocks).
import micropython
x = None  # the name exists before the first dump: storing x later grows no dict
micropython.mem_info(1)
x = bytearray(N)
micropython.mem_info(1)
