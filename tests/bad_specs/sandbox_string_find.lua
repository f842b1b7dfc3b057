-- expect: :2: 'string.find' is not available in specs
return ("quad"):find("q")
