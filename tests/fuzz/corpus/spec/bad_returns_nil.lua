-- expect: must return a table
return nil
