-- expect: :2: '_G' is not available in specs
_G.os.exit(0)
