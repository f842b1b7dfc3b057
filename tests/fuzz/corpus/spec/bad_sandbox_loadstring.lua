-- expect: 'loadstring'
loadstring("return 1")()
