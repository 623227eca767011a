# One allocation filling most of the virtual board's heap, after a few small
# objects (run after `-c HEAP=<bytes>`): the shape of a program that keeps one
# big buffer (a frame buffer, a file read whole). Its map is mostly rows of
# tails ("=" across whole rows), with the free rest collapsed at the end.
small = [bytearray(16 + 16 * (i % 7)) for i in range(40)]
small.append({"a": 1, "b": [1, 2, 3], "c": "text"})
small.append((1.5, 2.5, "a str"))
big = bytearray(HEAP * 90 // 100)
