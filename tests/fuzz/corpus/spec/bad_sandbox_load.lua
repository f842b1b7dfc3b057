-- expect: 'load'
load("return 1")()
