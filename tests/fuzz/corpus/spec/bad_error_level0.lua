-- expect: no position
error("no position", 0)
