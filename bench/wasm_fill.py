# One fill step for the virtual board (run.sh runs it several times after
# `-c HEAP=<bytes>`): allocate small objects of mixed kinds and sizes until
# the heap holds ~85% of HEAP. Objects are stored in `keep`, allocated once
# (a growing list would leave big holes and could force a new heap area).
#
# On this port garbage is collected only between steps, and gc.mem_alloc()
# walks the whole heap, so each step allocates at most HEAP/12 bytes (its
# temporaries are collected before the next) and checks the level rarely.
import gc

import random

try:
    keep
except NameError:
    keep = [None] * (HEAP // 80)
    n_keep = 0
    random.seed(12345)  # deterministic objects; bigint-free (wasm small ints are 31 bits)


def fill_step():
    global n_keep
    rnd = random.getrandbits
    start = gc.mem_alloc()
    limit = HEAP * 85 // 100
    if start >= limit:
        return
    stop = min(limit, start + HEAP // 12)
    i = n_keep
    while i + 4096 <= len(keep):
        for _ in range(4096):
            r = rnd(16)
            k = r & 7
            r >>= 3
            if k == 0:
                o = [i, i + 1, i + 2]
            elif k == 1:
                o = "item-%d" % i * (1 + r % 6)
            elif k == 2:
                o = bytearray(16 + (r % 13) * 16)
            elif k == 3:
                o = {"a": i, "b": -i}
            elif k == 4:
                o = (i, i, i, i, i, i)
            elif k == 5:
                o = i * 0.5
            elif k == 6:
                o = b"x" * (1 + r % 100)
            else:
                o = [None] * (1 + r % 40)
            keep[i] = o
            i += 1
        if gc.mem_alloc() > stop:
            break
    n_keep = i


fill_step()
gc.collect()
