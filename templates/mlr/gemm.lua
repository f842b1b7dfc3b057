-- Register-blocked "broadcast GEMM" emitter, the one micro-kernel shape of
-- the mlr kernels:
--
--   C[r][q] (+)= sum_{p < np} A(r, p) * B[p][q]      r < rows, q < ncols
--
-- A is read by scalar broadcasts at a + r*ars + p*aps, so any row-major
-- input serves either way round without packing; B rows are ncols
-- contiguous aligned elements at b + p*ldb (a packed or tile operand); C rows
-- are at c + r*ldc.  ncols is a multiple of MR's partner NV*W.  An MR x NV
-- block of vector accumulators stays in registers over the whole p loop.
--
-- o fields: V (ISA), T (real type), MR, NV, rows (integer or C expression),
-- np (C expression), ncols (integer), a, b, c (C pointer expressions),
-- ars, aps, ldb, ldc (integers), mode ("set": C = AB; "acc": C += AB;
-- "scale": C = C * s[q] + AB with s a per-column array), s (for "scale"),
-- indent (string).
local M = {}

local function block(o, mr)
  local V, W, NV = o.V, o.V.lanes, o.NV
  local L = {}
  local function add(s) L[#L + 1] = s end
  add("{")
  add("    const " .. o.T .. " *ap_ = " .. o.a .. " + r_ * " .. o.ars .. ";")
  add("    const " .. o.T .. " *bp_ = " .. o.b .. " + q_;")
  add("    " .. o.T .. " *cp_ = " .. o.c .. " + r_ * " .. o.ldc .. " + q_;")
  local names = {}
  for r = 0, mr - 1 do
    for v = 0, NV - 1 do names[#names + 1] = "c" .. r .. "_" .. v end
  end
  add("    " .. V.vec .. " " .. table.concat(names, ", ") .. ";")
  add("    size_t p_;")
  if o.mode == "scale" then
    for v = 0, NV - 1 do
      add("    const " .. V.vec .. " s" .. v .. "_ = " .. V.load(o.s .. " + q_ + " .. v * W) .. ";")
    end
  end
  for r = 0, mr - 1 do
    for v = 0, NV - 1 do
      local cv = "cp_ + " .. (r * o.ldc + v * W)
      local init
      if o.mode == "set" then
        init = V.zero()
      elseif o.mode == "acc" then
        init = V.load(cv)
      else
        init = V.mul(V.load(cv), "s" .. v .. "_")
      end
      add("    c" .. r .. "_" .. v .. " = " .. init .. ";")
    end
  end
  add("    for (p_ = 0; p_ < " .. o.np .. "; p_++, ap_ += " .. o.aps .. ", bp_ += " .. o.ldb .. ") {")
  local bs = {}
  for v = 0, NV - 1 do bs[#bs + 1] = "b" .. v .. "_ = " .. V.load("bp_ + " .. v * W) end
  add("        const " .. V.vec .. " " .. table.concat(bs, ", ") .. ";")
  add("        " .. V.vec .. " a_;")
  for r = 0, mr - 1 do
    add("        a_ = " .. V.set1("ap_[" .. r * o.ars .. "]") .. ";")
    for v = 0, NV - 1 do
      local acc = "c" .. r .. "_" .. v
      add("        " .. acc .. " = " .. V.fma("a_", "b" .. v .. "_", acc) .. ";")
    end
  end
  add("    }")
  for r = 0, mr - 1 do
    for v = 0, NV - 1 do
      add("    " .. V.store("cp_ + " .. (r * o.ldc + v * W), "c" .. r .. "_" .. v) .. ";")
    end
  end
  add("}")
  return L
end

local function cols(o, mr, ind)
  local L = { ind .. "for (q_ = 0; q_ < " .. o.ncols .. "; q_ += " .. o.NV * o.V.lanes .. ")" }
  for _, s in ipairs(block(o, mr)) do L[#L + 1] = ind .. "    " .. s end
  return L
end

function M.emit(o)
  assert(o.ncols % (o.NV * o.V.lanes) == 0, "gemm: ncols must be a multiple of NV*W")
  local MR = o.MR
  local I = o.indent or ""
  local L = {}
  local function add(s) L[#L + 1] = s end
  local function addall(t) for _, s in ipairs(t) do add(s) end end
  add(I .. "{ /* " .. o.what .. " */")
  add(I .. "    size_t r_ = 0, q_;")
  local fixed = math.type(o.rows) == "integer"
  if not fixed or o.rows >= MR then
    add(I .. "    for (; r_ + " .. MR .. " <= " .. o.rows .. "; r_ += " .. MR .. ")")
    addall(cols(o, MR, I .. "        "))
  end
  if fixed then
    local rem = o.rows % MR
    if rem > 0 then addall(cols(o, rem, I .. "    ")) end
  else
    add(I .. "    switch (" .. o.rows .. " - r_) {")
    for rem = 1, MR - 1 do
      add(I .. "    case " .. rem .. ":")
      addall(cols(o, rem, I .. "        "))
      add(I .. "        break;")
    end
    add(I .. "    default:")
    add(I .. "        break;")
    add(I .. "    }")
  end
  add(I .. "}")
  return table.concat(L, "\n")
end

return M
