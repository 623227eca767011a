# A leak for the timeline: every call of work() appends records to a global
# list that nobody empties. snap() prints a marker with the list's length
# (the label) and the heap dump. Driven step by step from the test:
#   leak-setup.py, then per round -c "work(25); gc.collect()" and -c "snap()"
# (the collection runs between steps, so each dump shows live objects only).
import micropython, gc

leak = []


def work(n):
    for i in range(n):
        leak.append({"n": i, "data": "x" * (20 + i % 7)})


def snap():
    print("=== SNAPSHOT len %d ===" % len(leak))
    micropython.mem_info(1)
