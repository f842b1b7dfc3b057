-- expect: my spec is broken
error("my spec is broken")
