# Drop the list; the collection runs when this step ends.
import gc
del victim
gc.collect()
