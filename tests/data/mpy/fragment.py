# Fill the heap with objects of every map type and sizes, keep every third:
# a fragmented heap (and, on a small initial heap, several areas).
import array
keep = []
junk = []
for i in range(N):
    k = i % 9
    if k == 0:
        o = (i, i + 1, str(i))
    elif k == 1:
        o = [i] * (i % 7 + 1)
    elif k == 2:
        o = {"i": i, "s": str(i)}
    elif k == 3:
        o = "s%d" % i * (i % 5 + 1)
    elif k == 4:
        o = bytearray(i % 97 + 1)
    elif k == 5:
        o = i * 1.5
    elif k == 6:
        o = array.array("i", range(i % 11))
    elif k == 7:
        o = b"b" * (i % 40)
    else:
        o = lambda x, i=i: x + i
    (keep if i % 3 == 0 else junk).append(o)
junk = None
