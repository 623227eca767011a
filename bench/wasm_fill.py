# Fill the virtual board's heap to ~85% with small objects of mixed kinds and
# sizes (run after `-c HEAP=<bytes>`, before wasm_drop.py). The objects are
# kept in `keep`, allocated once: a growing list would leave big holes and
# could make this port add a heap area.
#
# No temporaries: this port collects garbage only between steps, and holes
# made while filling would make MicroPython's first-fit allocator scan them
# for every multi-block allocation (minutes instead of seconds).
# gc.mem_alloc() walks the whole heap (~50 ms at 64 MB): check it rarely.
import gc
import random

random.seed(12345)  # deterministic; getrandbits keeps to small ints (no bigints)
STR_FORMATS = ("%d", "item-%08d", "request %d was here", "%040d", "key-%-60d|", "%-120d|")
keep = [None] * (HEAP // 48)
n_keep = 0


def fill():
    global n_keep
    rnd = random.getrandbits
    limit = HEAP * 85 // 100
    i = 0
    while i + 16384 <= len(keep) and gc.mem_alloc() < limit:
        for _ in range(16384):
            r = rnd(16)
            k = r & 7
            r >>= 3
            if k == 0:
                o = [i, i + 1, i + 2]
            elif k == 1:
                o = STR_FORMATS[r % 6] % i  # one allocation
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
    n_keep = i


fill()
