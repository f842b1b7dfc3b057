local t = {5, 3, 9, 1, 7, 3}
table.sort(t)
table.sort(t, function(a, b) return a > b end)
table.insert(t, 1, 0)
table.remove(t)
return {kernel="myo", name="s"..table.concat(t, "_"), arity=t[2] > 4 and 2 or 4, depth=3, state=4}
