# Drop the objects of `keep` in runs of 1..4, keeping runs of 1..3: irregular
# holes all over the heap. The collection runs before the next step.
import gc
import random

random.seed(777)
_j = 0
while _j < n_keep:
    _r = random.getrandbits(8)
    _n = 1 + (_r & 3)
    for _t in range(_j, min(_j + _n, n_keep)):
        keep[_t] = None
    _j += _n + 1 + (_r >> 2) % 3
gc.collect()
print("objects allocated:", n_keep)
