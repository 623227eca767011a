# An application that labels its own heap snapshots with the device module
# (device/mpheap.py), for `mpheap capture --listen`, which keeps them without
# stopping the program. Copy the module first: `mpheap upload --port P`.
#
# With the virtual board (one board process shared by the three commands):
#   mpheap sim --heap 64K --link /tmp/board &
#   mpheap upload --port /tmp/board
#   mpheap capture --port /tmp/board --listen --run examples/labelled_app.py -o app.log
import mpheap

mpheap.snapshot("start")
mpheap.snapshot("start again")  # the same heap: a snapshot allocates nothing

readings = []
for i in range(40):
    readings.append([i, i * 0.5, "ok"])
mpheap.snapshot("40 readings")

del readings[:30]
mpheap.snapshot("kept 10")
