-- expect: :2: 'string.gsub' is not available in specs
return string.gsub("quad", "q", "x")
