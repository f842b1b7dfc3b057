-- expect: :2: 'collectgarbage' is not available in specs
collectgarbage("stop")
