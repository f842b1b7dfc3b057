-- A tile of `rows` x `cols` elements staged into local memory through
-- registers (the GPU flash and GEMM kernels).  Each work-item issues all its
-- loads of the tile before it stores any (their latencies overlap instead of
-- adding up), and a kernel that walks tiles may issue the next tile's loads
-- before it computes on the current one (the latency hides behind that
-- compute), storing them at the top of its next step.  Element e of
-- work-item lid is x = lid + wg e of the tile: row x / cols, column
-- x % cols, so adjacent work-items read adjacent columns (make the
-- contiguous index the column).
--   require("lib.gpu_stage").tile(V, { name = registers, rows =, cols =, wg = })
-- returns
--   decl                       the registers' declaration;
--   load(value, ok, sp)        code loading the tile: value(r, c) and ok(r, c)
--                              are C expressions of the element at row r,
--                              column c (int variables r and c) and of the
--                              condition that it exists (else it reads 0);
--   store(put, sp)             code storing the registers: put(r, c, x) is
--                              the statement putting value x (storage type).
-- .rows(V, { ..., T =, stride = }) is a tile of rows of a [T][stride]
-- tensor: its load(src, row0, col_ok, sp) reads rows row0.. of src (0 past
-- T, and where col_ok(c), if given, is false; .below(n): columns below n).
-- Its now(src, row0, col_ok, put, sp[, comment]) is load then store in a
-- block of their own.
-- .span(v, t, B, T) declares v0 and v1, the first and last row (inclusive,
-- below T) of tile t of B rows.
local M = {}

function M.below(n) return function(c) return c .. " < " .. n end end

function M.span(v, t, B, T)
  return "const size_t " .. v .. "0 = (" .. t .. ") * " .. B .. ", " .. v .. "1 = " .. v .. "0 + " .. B ..
    " > " .. T .. " ? " .. T - 1 .. " : " .. v .. "0 + " .. B - 1 .. ";"
end

function M.tile(V, o)
  local total = o.rows * o.cols
  local n = (total + o.wg - 1) // o.wg
  local zero = V.storage == V.real and V.zero() or V.narrow("0.0f")
  -- row and column of element e: with wg a multiple of cols every element
  -- of a work-item is in the same column (the compiler sees one address
  -- plus constant steps; 255 registers a GEMM work-item without this)
  local r, c
  if o.wg % o.cols == 0 then
    r, c = "lid / " .. o.cols .. " + " .. o.wg // o.cols .. " * e", "lid % " .. o.cols
  else
    r, c = "(lid + " .. o.wg .. " * e) / " .. o.cols, "(lid + " .. o.wg .. " * e) % " .. o.cols
  end
  -- a fully unrolled loop over the elements (the registers stay registers)
  local function each(sp, line)
    local out = { sp .. V.unroll(n), sp .. "for (int e = 0; e < " .. n .. "; e++) {" }
    if n * o.wg > total then out[#out + 1] = sp .. "    if (lid + " .. o.wg .. " * e >= " .. total .. ") break;" end
    out[#out + 1] = sp .. "    const int r = " .. r .. ", c = " .. c .. ";"
    out[#out + 1] = sp .. "    " .. line
    out[#out + 1] = sp .. "}"
    return table.concat(out, "\n")
  end
  local S = {}
  S.decl = V.storage .. " " .. o.name .. "[" .. n .. "];"
  function S.load(value, ok, sp)
    return each(sp, o.name .. "[e] = " .. ok("r", "c") .. " ? " .. value("r", "c") .. " : " .. zero .. ";")
  end
  function S.store(put, sp)
    return each(sp, put("r", "c", o.name .. "[e]"))
  end
  return S
end

function M.rows(V, o)
  local st = M.tile(V, o)
  local S = { decl = st.decl, store = st.store }
  function S.load(src, row0, col_ok, sp)
    return st.load(function(r, c)
      return src .. "[(" .. row0 .. " + (size_t)" .. r .. ") * " .. o.stride .. " + (size_t)" .. c .. "]"
    end, function(r, c)
      return row0 .. " + (size_t)" .. r .. " < " .. o.T .. (col_ok and (" && " .. col_ok(c)) or "")
    end, sp)
  end
  -- loaded and stored at once, the registers scoped to a block (comment:
  -- optional, on its brace)
  function S.now(src, row0, col_ok, put, sp, comment)
    local inner = sp .. "    "
    return sp .. "{" .. (comment and (" /* " .. comment .. " */") or "") .. "\n" .. inner .. S.decl .. "\n" ..
      S.load(src, row0, col_ok, inner) .. "\n" .. S.store(put, inner) .. "\n" .. sp .. "}"
  end
  return S
end

return M
