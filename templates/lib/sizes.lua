-- C expressions over run-time sizes that saturate at SIZE_MAX instead of
-- wrapping, with the helpers of lib/sizes.c.tmpl (rendered once per file):
--   local S = require("lib.sizes")(spec.name)
--   S.mul("batch", "channels", 64) -> "NAME_mul(NAME_mul(batch, channels), 64)"
-- Number arguments are folded (a product of 1 or a sum of 0 disappears);
-- strings are C expressions, parenthesized by the caller where needed.
return function(NAME)
  local S = {}
  local function fold(args, op, unit, fn)
    local k, terms = unit, {}
    for _, a in ipairs(args) do
      if math.type(a) == "integer" then k = op(k, a) else terms[#terms + 1] = a end
    end
    if k ~= unit or #terms == 0 then terms[#terms + 1] = tostring(k) end
    local e = terms[1]
    for i = 2, #terms do e = NAME .. "_" .. fn .. "(" .. e .. ", " .. terms[i] .. ")" end
    return e
  end
  function S.mul(...) return fold({ ... }, function(a, b) return a * b end, 1, "mul") end
  function S.add(...) return fold({ ... }, function(a, b) return a + b end, 0, "add") end
  -- e rounded up to a multiple of the integer m
  function S.round(e, m)
    if m == 1 then return e end
    return NAME .. "_round(" .. e .. ", " .. m .. ")"
  end
  return S
end
