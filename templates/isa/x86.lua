-- What the AVX2 and AVX-512 vocabularies spell alike: _mm256_ or _mm512_,
-- the operation, _ps or _pd.  Fills V (same meanings as isa/c.lua) and
-- returns op(name, n), the n-operand intrinsic maker, for the rest.
return function(V, bits, dtype)
  local s = dtype == "f32" and "ps" or "pd"
  local pre = "_mm" .. bits .. "_"
  local function op(name, n)
    return function(...)
      local args = {...}
      assert(#args == n, name .. " takes " .. n .. " operands")
      return ("%s%s_%s(%s)"):format(pre, name, s, table.concat(args, ", "))
    end
  end
  V.dtype = dtype
  V.func = "static " -- (isa/c.lua)
  V.real = dtype == "f32" and "float" or "double"
  V.zero = function() return pre .. "setzero_" .. s .. "()" end
  V.set1 = op("set1", 1)
  V.load = op("load", 1) -- aligned to the vector's size
  V.loadu = op("loadu", 1)
  V.store = op("store", 2)
  V.storeu = op("storeu", 2)
  V.add = op("add", 2)
  V.sub = op("sub", 2)
  V.mul = op("mul", 2)
  V.div = op("div", 2)
  V.fma = op("fmadd", 3)   -- a*b + c
  V.fnma = op("fnmadd", 3) -- c - a*b
  V.max = op("max", 2)     -- b where a lane is unordered (MAXPS)
  V.min = op("min", 2)
  V.stream = op("stream", 2) -- non-temporal store, aligned
  V.sfence = function() return "_mm_sfence()" end
  -- into L2, not L1 (hint T2): the myo solves' prefetches of parameter rows
  -- then stop waiting on L1's few fill buffers (T0: the vertex tree forward,
  -- arity 4, L 4096, N 16, batch 4, 45-50 -> 37-42 ms, the chain 69 -> 51-57,
  -- share input 116-129 -> 89-91; one Zen 4 core, session 30)
  V.prefetch = function(p) return "_mm_prefetch((const char *)(" .. p .. "), _MM_HINT_T2)" end
  V.exp = function(x) return (V.prefix or "myogen") .. "_exp(" .. x .. ")" end
  V.exp_nonpos = function(x) return (V.prefix or "myogen") .. "_exp_nonpos(" .. x .. ")" end -- x <= 0
  return op
end
