# A MicroPython program that dies of fragmentation: MemoryError with half the
# heap free. It keeps incoming messages in 512-byte buffers until the heap is
# nearly full, drops every other one (acknowledged), and then needs one 4 KB
# buffer. The free memory is in pieces of about 512 bytes between the buffers it
# kept, and no piece is 4 KB long.
#
# `make demo` runs it on the virtual board with a 64 KB heap that cannot grow:
#   mpheap capture --port sim:64K,fixed --gc --run examples/fragmenter.py -o demo.log
#   mpheap show demo.log     # the heap after the failure, and why 4096 bytes do not fit
#
# On a board whose heap can grow (ESP32, the default virtual board) the 4 KB
# buffer gets a new heap area instead, and nothing fails.
import gc

ROOM = 3 * 1024  # stop filling when this much is left: less than the 4 KB asked for below

messages = []
while gc.mem_free() > ROOM:
    messages.append(bytearray(512))
for i in range(0, len(messages), 2):
    messages[i] = None  # acknowledged: dropped
gc.collect()
print("kept", len(messages) // 2, "of", len(messages), "messages; now a 4 KB buffer:")
firmware_chunk = bytearray(4096)  # MemoryError: no free run of 4 KB is left
print("not reached on a heap that cannot grow")
