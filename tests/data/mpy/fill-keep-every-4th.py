# Step 1 of the verdict tests (tests/cli/verdict.sh): fill the heap with 256-byte tuples
# (16 blocks on a 32-bit port), keep every 4th and drop the rest, so free runs of 48 blocks
# lie between the kept tuples. tuple(src) allocates the tuple alone: no garbage in between.
# It stops when less than 1 KB is free. On a port that can grow, gc.mem_free() adds
# "max new split" (extmod/modgc.c), so there the caller sets LIMIT and it stops once LIMIT
# bytes are allocated, before the heap would grow.
import gc
LIMIT = globals().get("LIMIT")
src = list(range(62))
keep = [None] * 600
n = 0
while (gc.mem_alloc() < LIMIT if LIMIT else gc.mem_free() > 1024) and n < len(keep):
    keep[n] = tuple(src)
    n += 1
for i in range(n):
    if i % 4:
        keep[i] = None
