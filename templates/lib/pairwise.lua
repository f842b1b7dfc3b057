-- The sum of a list of C expressions added pairwise (short dependency
-- chains); add(a, b) writes one addition (default: "(a + b)").
return function(xs, add)
  add = add or function(a, b) return "(" .. a .. " + " .. b .. ")" end
  while #xs > 1 do
    local ys = {}
    for i = 1, #xs, 2 do ys[#ys + 1] = xs[i + 1] and add(xs[i], xs[i + 1]) or xs[i] end
    xs = ys
  end
  return xs[1]
end
