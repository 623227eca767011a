# A list of 200 distinct strings, kept in a global. A long step on purpose:
# its compiled code, collected afterwards, leaves a hole low in the heap where
# the later snapshot steps' code fits, so they do not land in the list's blocks.
# Each string is two allocations (its data, h, and the str object, S); the
# list is an L object and an item array (h) of 200 pointers.
import micropython, gc

victim = [None] * 200
for i in range(200):
    victim[i] = "item %d" % i
unused_a = [i for i in range(4)]
unused_b = {"k": 1, "j": 2}
del unused_a, unused_b
