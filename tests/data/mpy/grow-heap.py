# The heap grows a new area: run with a small first area (--heap 16K); this
# step dumps, then keeps more than that area can hold, then dumps again.
# The split-heap build adds an area ("GC memory layout" twice in the second dump).
import micropython
kept = None
micropython.mem_info(1)
kept = [bytearray(1024) for i in range(24)]
micropython.mem_info(1)
