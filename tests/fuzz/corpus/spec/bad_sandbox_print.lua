-- expect: 'print'
print("printed to stdout")
