-- expect: 'collectgarbage'
collectgarbage("stop")
