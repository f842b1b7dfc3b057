-- expect: :2: 'io' is not available in specs
io.write("written to stdout")
