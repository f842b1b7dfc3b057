-- expect: :2: 'debug' is not available in specs
debug.sethook()
