-- expect: 'os'
os.execute("touch /tmp/myogen_sandbox_escape")
