-- expect: 'os'
os.exit(0)
