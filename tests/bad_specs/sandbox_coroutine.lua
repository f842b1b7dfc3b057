-- expect: :2: 'coroutine' is not available in specs
coroutine.wrap(function() end)()
