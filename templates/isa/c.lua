-- Portable C99 vocabulary: a "vector" is one scalar; the C compiler may
-- vectorize the loops over lanes itself.
return function(dtype)
  local real = dtype == "f32" and "float" or "double"
  local V = { name = "c", lanes = 1, vec = real, include = nil, cflags = "" }
  V.zero = function() return dtype == "f32" and "0.0f" or "0.0" end
  V.set1 = function(x) return "(" .. x .. ")" end
  V.load = function(p) return "(*(" .. p .. "))" end
  V.loadu = V.load
  V.store = function(p, v) return "(*(" .. p .. ") = (" .. v .. "))" end
  V.storeu = V.store
  V.add = function(a, b) return "(" .. a .. " + " .. b .. ")" end
  V.sub = function(a, b) return "(" .. a .. " - " .. b .. ")" end
  V.mul = function(a, b) return "(" .. a .. " * " .. b .. ")" end
  V.fma = function(a, b, c) return "(" .. a .. " * " .. b .. " + " .. c .. ")" end
  V.fnma = function(a, b, c) return "(" .. c .. " - " .. a .. " * " .. b .. ")" end
  return V
end
