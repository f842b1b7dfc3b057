-- expect: 'coroutine'
coroutine.wrap(function() end)()
