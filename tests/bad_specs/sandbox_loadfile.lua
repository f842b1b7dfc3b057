-- expect: :2: 'loadfile' is not available in specs
loadfile("/etc/passwd")()
