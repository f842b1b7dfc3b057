-- expect: 'dofile'
dofile("/etc/passwd")
