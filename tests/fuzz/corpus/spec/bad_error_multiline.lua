-- expect: first line
error("first line\nsecond line")
