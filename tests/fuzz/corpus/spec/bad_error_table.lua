-- error() with a table
error({})
