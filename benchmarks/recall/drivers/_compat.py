"""Let releases older than Python 3.10 import: they take the ABCs from
`collections` (moved to `collections.abc`, aliases removed in 3.10)."""
import collections
import collections.abc

for _name in collections.abc.__all__:
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
