-- expect: 'io'
io.open("/tmp/myogen_sandbox_escape", "w")
