-- expect: 'require'
require("os")
