# A snapshot step: the dump is taken while this step's own small code object
# is alive (the diff shows it as "documented noise" when it lands elsewhere).
import micropython
micropython.mem_info(1)
