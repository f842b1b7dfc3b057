-- expect: :2: 'dofile' is not available in specs
dofile("/etc/passwd")
