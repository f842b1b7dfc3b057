-- expect: :2: 'os' is not available in specs
os.exit(0)
