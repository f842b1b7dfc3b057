-- expect: must return a table
return true
