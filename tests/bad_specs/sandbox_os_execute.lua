-- expect: :2: 'os' is not available in specs
os.execute("touch /tmp/myogen_sandbox_escape")
