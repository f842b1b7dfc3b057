-- expect: 'debug'
debug.sethook()
