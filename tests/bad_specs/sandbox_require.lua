-- expect: :2: 'require' is not available in specs
require("os")
