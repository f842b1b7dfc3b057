-- A tile of `rows` x `cols` elements staged into local memory through
-- registers (the GPU flash and GEMM kernels).  Each work-item issues all its
-- loads of the tile before it stores any (their latencies overlap instead of
-- adding up), and a kernel that walks tiles may issue the next tile's loads
-- before it computes on the current one (the latency hides behind that
-- compute), storing them at the top of its next step.  The tile is cut into
-- units of w adjacent columns of a row (w = 1; 4 with o.vec, see rows).
-- Unit e of work-item lid is x = lid + wg e: row x / (cols / w), unit
-- column x % (cols / w), so adjacent work-items read adjacent columns (make
-- the contiguous index the column); with o.across, row x % rows, unit
-- column x / rows (adjacent work-items take adjacent rows: with w = 4 their
-- stores into a transposed local tile, [column][row], then fall into
-- different banks, where by columns 4 apart they would share 1 in 4).
-- With o.blocked (w = 1, rows a multiple of 4, cols of 8, wg of 32, and
-- rows / 4 and wg / 32 one a multiple of the other), each 32 adjacent units
-- are 4 rows x 8 columns (work-item l: row l % 4, column l / 4): stored
-- transposed into [column][row] with a row stride of 4 (mod 8) they fall
-- into 32 different banks, where 32 columns of one row shared 8 (4-way
-- conflicts: two thirds of the store wavefronts of mlr's flash kernels,
-- ncu on an H100), and a row's 8 columns are still one 32-byte sector.
--   require("lib.gpu_stage").tile(V, { name = registers, rows =, cols =, wg = })
-- returns
--   decl                       the registers' declaration;
--   load(value, ok, sp)        code loading the tile: value(r, c) and ok(r, c)
--                              are C expressions of the element at row r,
--                              column c (int variables r and c) and of the
--                              condition that it exists (else it reads 0);
--   store(put, sp)             code storing the registers: put(r, c, x) is
--                              the statement putting value x (storage type).
-- .rows(V, { ..., T =, stride = [, vec =, across =] }) is a tile of rows of
-- a [T][stride] tensor: its load(src, row0, col_ok, sp) reads rows row0..
-- of src (0 past T, and where col_ok(c), if given, is false; .below(n):
-- columns below n).  Its now(src, row0, col_ok, put, sp[, comment]) is load
-- then store in a block of their own.
-- .span(v, t, B, T) declares v0 and v1, the first and last row (inclusive,
-- below T) of tile t of B rows.
local M = {}

function M.below(n) return function(c) return c .. " < " .. n end end

function M.span(v, t, B, T)
  return "const size_t " .. v .. "0 = (" .. t .. ") * " .. B .. ", " .. v .. "1 = " .. v .. "0 + " .. B ..
    " > " .. T .. " ? " .. T - 1 .. " : " .. v .. "0 + " .. B - 1 .. ";"
end

-- "k * x" (nil for k = 0), and the sum of such terms ("0" for none)
local function term(k, x) return k ~= 0 and ((k == 1 and x or (k .. " * " .. x))) or nil end
local function sum(...)
  local ts = {}
  for _, t in pairs({ ... }) do ts[#ts + 1] = t end
  return #ts > 0 and table.concat(ts, " + ") or "0"
end

-- The row r and unit column u of unit e of work-item lid, as C expressions.
-- Where the group's units split into whole rows, or rows into whole groups,
-- also as a part of lid (r0, u0) plus multiples of a part of e (dr = { k,
-- x }: k x; constants once the loop over e unrolls), so that the compiler
-- sees one address plus constant steps: 255 registers a GEMM work-item
-- without this, and btt attention's flash kernels (head dim 256, 64
-- work-items) 255 with spills, 863 LEA and 472 IMAD in the forward's SASS.
-- U: units a row.
local function layout(rows, U, wg, across, blocked)
  local x = "(lid + " .. wg .. " * e)"
  if blocked then -- 32 adjacent units: rows 4 rb.., columns 8 cb..; block b = lid / 32 + W e
    local RB, W = rows // 4, wg // 32
    local m = {}
    if RB % W == 0 then -- rb = lid / 32 + W (e % K), cb = e / K
      local K = RB // W
      m.r0, m.u0 = "4 * (lid / 32) + lid % 4", "lid % 32 / 4"
      m.dr, m.du = K > 1 and { 4 * W, "(e % " .. K .. ")" } or { 0, "e" }, { 8, K > 1 and ("(e / " .. K .. ")") or "e" }
    else -- W a multiple of RB: rb = lid / 32 % RB, cb = lid / 32 / RB + (W / RB) e
      m.r0, m.u0 = "4 * (lid / 32 % " .. RB .. ") + lid % 4", "8 * (lid / 32 / " .. RB .. ") + lid % 32 / 4"
      m.dr, m.du = { 0, "e" }, { 8 * (W // RB), "e" }
    end
    m.r = sum(m.r0, term(m.dr[1], m.dr[2]))
    m.u = sum(m.u0, term(m.du[1], m.du[2]))
    return m
  end
  local n = across and rows or U -- the index adjacent work-items step
  local f0, s0, df, ds
  if wg % n == 0 then
    f0, s0, df, ds = "lid % " .. n, "lid / " .. n, { 0, "e" }, { wg // n, "e" }
  elseif n % wg == 0 then
    local k = n // wg
    f0, s0, df, ds = "lid", "0", { wg, "(e % " .. k .. ")" }, { 1, "e / " .. k }
  elseif across then
    return { r = x .. " % " .. rows, u = x .. " / " .. rows }
  else
    return { r = x .. " / " .. U, u = x .. " % " .. U }
  end
  local m = {}
  if across then m.r0, m.u0, m.dr, m.du = f0, s0, df, ds else m.r0, m.u0, m.dr, m.du = s0, f0, ds, df end
  m.r = sum(m.r0 ~= "0" and m.r0 or nil, term(m.dr[1], m.dr[2]))
  m.u = sum(m.u0 ~= "0" and m.u0 or nil, term(m.du[1], m.du[2]))
  return m
end

-- the tile's registers and its loop over units (shared by tile and rows)
local function units(V, o, w)
  local U = o.cols // w
  local total = o.rows * U
  local n = (total + o.wg - 1) // o.wg
  local m = layout(o.rows, U, o.wg, o.across, o.blocked)
  local S = { m = m }
  S.zero = V.storage == V.real and V.zero() or V.narrow("0.0f")
  S.decl = V.storage .. " " .. o.name .. "[" .. n * w .. "];"
  -- a fully unrolled loop over the units (the registers stay registers);
  -- r and c: the unit's row and first column
  function S.each(sp, lines)
    local out = { sp .. V.unroll(n), sp .. "for (int e = 0; e < " .. n .. "; e++) {" }
    if n * o.wg > total then out[#out + 1] = sp .. "    if (lid + " .. o.wg .. " * e >= " .. total .. ") break;" end
    out[#out + 1] = sp .. "    const int r = " .. m.r .. ", c = " .. (w > 1 and (w .. " * (" .. m.u .. ")") or m.u) .. ";"
    for _, l in ipairs(lines) do out[#out + 1] = sp .. "    " .. l end
    out[#out + 1] = sp .. "}"
    return table.concat(out, "\n")
  end
  -- the register of column i of unit e
  function S.reg(i) return o.name .. "[" .. (w > 1 and (w .. " * e + " .. i) or "e") .. "]" end
  function S.store(put, sp)
    local lines = {}
    for i = 0, w - 1 do lines[#lines + 1] = put("r", i == 0 and "c" or ("(c + " .. i .. ")"), S.reg(i)) end
    return S.each(sp, lines)
  end
  return S
end

function M.tile(V, o)
  local S = units(V, o, 1)
  return {
    decl = S.decl,
    store = S.store,
    load = function(value, ok, sp)
      return S.each(sp, { S.reg(0) .. " = " .. ok("r", "c") .. " ? " .. value("r", "c") .. " : " .. S.zero .. ";" })
    end,
  }
end

-- With o.vec (stride, cols and every col_ok bound multiples of 4), a unit
-- is 4 columns, read as one vector where src is aligned to 4 elements (its
-- rows then are), else as 4 scalars: the test is on a pointer the kernel
-- fixes at its start, the same for every work-item (OpenCL buffers start
-- aligned, a CUDA device pointer need not).  A 16 x 256 tile of btt
-- attention (64 work-items) is 16 loads a work-item instead of 64.
function M.rows(V, o)
  local w = o.vec and 4 or 1
  assert(w == 1 or (o.stride % 4 == 0 and o.cols % 4 == 0))
  local S = units(V, o, w)
  local m = S.m
  local R = { decl = S.decl, store = S.store }
  -- the loop loading every unit from base[off + i] (off: an expression of
  -- e) where ok, else zeros; vector: as one vector
  local function loop(base, off, ok, vector, sp)
    local lines
    if w == 1 then
      lines = { S.reg(0) .. " = " .. ok .. " ? " .. base .. "[" .. off .. "] : " .. S.zero .. ";" }
    else
      lines = { "if (" .. ok .. ") {" }
      if vector then
        lines[#lines + 1] = "    const " .. V.vecn(V.storage, w) .. " t = " .. V.gloadn(V.storage, w, base .. " + " .. off) .. ";"
        for i = 0, w - 1 do lines[#lines + 1] = "    " .. S.reg(i) .. " = t." .. V.lane(w, i) .. ";" end
      else
        for i = 0, w - 1 do lines[#lines + 1] = "    " .. S.reg(i) .. " = " .. base .. "[" .. off .. " + " .. i .. "];" end
      end
      lines[#lines + 1] = "} else {"
      for i = 0, w - 1 do lines[#lines + 1] = "    " .. S.reg(i) .. " = " .. S.zero .. ";" end
      lines[#lines + 1] = "}"
    end
    return S.each(sp, lines)
  end
  function R.load(src, row0, col_ok, sp)
    local ok = row0 .. " + (size_t)r < " .. o.T .. (col_ok and (" && " .. col_ok("c")) or "")
    local inner = sp .. "    "
    local out = { sp .. "{" }
    local base, off = src, "(" .. row0 .. " + (size_t)r) * " .. o.stride .. " + c"
    if m.r0 then -- one address a work-item, plus constants
      local r0 = m.r0 == "0" and row0 or ("(" .. row0 .. " + (size_t)(" .. m.r0 .. "))")
      local c0 = m.u0 == "0" and "" or (" + " .. (w > 1 and (w .. " * (" .. m.u0 .. ")") or m.u0))
      out[#out + 1] = inner .. "const " .. V.global .. V.storage .. " *p = " .. src .. " + " .. r0 .. " * " .. o.stride .. c0 .. ";"
      base, off = "p", sum(term(m.dr[1] * o.stride, m.dr[2]), term(m.du[1] * w, m.du[2]))
    end
    if w == 1 then
      out[#out + 1] = loop(base, off, ok, false, inner)
    else
      out[#out + 1] = inner .. "if (((size_t)" .. src .. " & (" .. w .. " * sizeof(" .. V.storage .. ") - 1)) == 0) {"
      out[#out + 1] = loop(base, off, ok, true, inner .. "    ")
      out[#out + 1] = inner .. "} else {"
      out[#out + 1] = loop(base, off, ok, false, inner .. "    ")
      out[#out + 1] = inner .. "}"
    end
    out[#out + 1] = sp .. "}"
    return table.concat(out, "\n")
  end
  -- loaded and stored at once, the registers scoped to a block (comment:
  -- optional, on its brace)
  function R.now(src, row0, col_ok, put, sp, comment)
    local inner = sp .. "    "
    return sp .. "{" .. (comment and (" /* " .. comment .. " */") or "") .. "\n" .. inner .. R.decl .. "\n" ..
      R.load(src, row0, col_ok, inner) .. "\n" .. R.store(put, inner) .. "\n" .. sp .. "}"
  end
  return R
end

-- A tile of rows of a [T][stride] tensor copied into local [row][ld] by
-- cp.async (V.cp_async16; cuda): 16-byte chunks of o.per columns (8 16-bit
-- values, default, or 4 floats), chunk e of work-item lid at x = lid + wg e
-- (row x / (cols / per), adjacent work-items on adjacent chunks of a row).
-- stride, cols and ld multiples of per and src 16-byte aligned (the caller
-- tests it).
--   require("lib.gpu_stage").async_rows(V, { rows =, cols =, wg =, T =, stride = [, per =, zero =] })
-- returns issue(src, row0, lim, dst, ld, sp[, plain]): the statements
-- copying rows row0.. of src into dst, columns at or past lim (a C
-- expression) and rows past T zeroed (their chunks read fewer bytes or
-- none); with plain, the same chunks copied element by element at once (for
-- an unaligned src: the loads are not overlapped, but no registers hold a
-- tile, which would cost the kernel's occupancy on the aligned path too).
function M.async_rows(V, o)
  local per = o.per or 8
  assert(o.stride % per == 0 and o.cols % per == 0)
  local U = o.cols // per
  local n = (o.rows * U + o.wg - 1) // o.wg
  local m = layout(o.rows, U, o.wg)
  return {
    issue = function(src, row0, lim, dst, ld, sp, plain)
      local lines = { sp .. V.unroll(n), sp .. "for (int e = 0; e < " .. n .. "; e++) {" }
      if n * o.wg > o.rows * U then lines[#lines + 1] = sp .. "    if (lid + " .. o.wg .. " * e >= " .. o.rows * U .. ") break;" end
      lines[#lines + 1] = sp .. "    const int r = " .. m.r .. ", c = " .. per .. " * (" .. m.u .. ");"
      lines[#lines + 1] = sp .. "    const int left = " .. row0 .. " + (size_t)r < " .. o.T .. " ? (int)(" .. lim .. ") - c : 0; /* columns to read */"
      local from = src .. " + (" .. row0 .. " + (size_t)r) * " .. o.stride .. " + c"
      if plain then
        lines[#lines + 1] = sp .. "    for (int i = 0; i < " .. per .. "; i++)"
        lines[#lines + 1] = sp .. "        " .. dst .. "[r * " .. ld .. " + c + i] = i < left ? (" .. from .. ")[i] : " .. (o.zero or V.narrow("0.0f")) .. ";"
      else
        lines[#lines + 1] = sp .. "    const int nb = left <= 0 ? 0 : left >= " .. per .. " ? 16 : " .. 16 // per .. " * left;"
        lines[#lines + 1] = sp .. "    " .. V.cp_async16("&" .. dst .. "[r * " .. ld .. " + c]", "nb ? " .. from .. " : " .. src, "nb")
      end
      lines[#lines + 1] = sp .. "}"
      return table.concat(lines, "\n")
    end,
  }
end

return M
