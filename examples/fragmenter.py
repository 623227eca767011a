# A small MicroPython program to look at with mpheap: each "request" leaves a
# string behind in a cache (a leak) and a scratch buffer; then every other
# buffer is dropped, leaving holes between the survivors (fragmentation).
#
# On the virtual board, no hardware needed:
#   mpheap capture --port sim --before --run examples/fragmenter.py -o demo.log
#   mpheap show demo.log
import gc

cache = []  # grows by one entry per request and is never trimmed
scratch = []


def handle(n):
    scratch.append(bytearray(64 + (n % 5) * 48))
    cache.append("request %d" % n)


for n in range(300):
    handle(n)
for i in range(0, len(scratch), 2):
    scratch[i] = None  # free every other buffer
gc.collect()
print("cached", len(cache), "requests;", len(scratch) // 2, "buffers kept")
