-- expect: :2: 'print' is not available in specs
print("printed to stdout")
