-- expect: 'io'
io.write("written to stdout")
