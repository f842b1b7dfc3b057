-- error() with nothing
error()
