-- expect: 'gsub'
return string.gsub("quad", "q", "x")
