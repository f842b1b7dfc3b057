-- expect: '_G'
_G.os.exit(0)
