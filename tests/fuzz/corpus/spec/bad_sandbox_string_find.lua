-- expect: 'find'
return ("quad"):find("q")
