# Step 2 of the verdict tests, after a collection (between steps, or the board's own):
# name the kept tuples (id() is their address) and ask for 1600 bytes = 100 blocks, more
# than any free run holds: only freeing one kept tuple (48 + 16 + 48 blocks) makes room.
NEED = 1600
print("kept ids:", " ".join(hex(id(t)) for t in keep if t is not None))
try:
    buf = bytearray(NEED)
    print("allocated", NEED, "bytes")
except MemoryError as e:
    print("MemoryError:", e)
