-- expect: red
-- terminal escapes in an error message are not echoed raw
error("\27[31mred\27[0m\7\155")
