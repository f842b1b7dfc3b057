-- expect: must return a table
return "myo"
