-- expect: :2: 'io' is not available in specs
io.open("/tmp/myogen_sandbox_escape", "w")
