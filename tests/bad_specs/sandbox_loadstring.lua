-- expect: :2: 'loadstring' is not available in specs
loadstring("return 1")()
