-- expect: :2: 'load' is not available in specs
load("return 1")()
