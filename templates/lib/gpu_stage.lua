-- A tile of rows of a global tensor staged into local memory through
-- registers (the GPU flash kernels).  Each work-item issues all its loads of
-- the tile before it stores any (their latencies overlap instead of adding
-- up), and a kernel that walks tiles issues the next tile's loads before it
-- computes on the current one (the latency hides behind that compute) and
-- stores them at the top of its next step.  Element e of work-item lid is
-- x = lid + wg e of the tile: row x / cols, column x % cols, so adjacent
-- work-items read adjacent words of a row.
--   require("lib.gpu_stage")(V, o): o.name (the registers), o.rows, o.cols
--   (constants), o.wg (work-items), o.T (sequence length: rows past it read
--   as 0), o.stride (elements between the source's rows).  Returns
--   decl                           the registers' declaration;
--   load(src, row0, col_ok, sp)    code loading rows row0.. of src; col_ok(c):
--                                  the condition that column c is read
--                                  (else 0), or nil for every column;
--   store(put, sp)                 code storing them: put(r, c, x) is the
--                                  statement putting register value x
--                                  (storage type) at row r, column c.
return function(V, o)
  local total = o.rows * o.cols
  local n = (total + o.wg - 1) // o.wg
  local zero = V.storage == V.real and V.zero() or V.narrow("0.0f")
  -- row and column of element e: with wg a multiple of cols every element
  -- of a work-item is in the same column
  local r, c
  if o.wg % o.cols == 0 then
    r, c = "lid / " .. o.cols .. " + " .. o.wg // o.cols .. " * e", "lid % " .. o.cols
  else
    r, c = "(lid + " .. o.wg .. " * e) / " .. o.cols, "(lid + " .. o.wg .. " * e) % " .. o.cols
  end
  -- a fully unrolled loop over the elements (the registers stay registers)
  local function each(sp, body)
    local out = { sp .. V.unroll(n), sp .. "for (int e = 0; e < " .. n .. "; e++) {" }
    if n * o.wg > total then out[#out + 1] = sp .. "    if (lid + " .. o.wg .. " * e >= " .. total .. ") break;" end
    out[#out + 1] = sp .. "    const int c = " .. c .. ";"
    for _, line in ipairs(body) do out[#out + 1] = sp .. "    " .. line end
    out[#out + 1] = sp .. "}"
    return table.concat(out, "\n")
  end
  local S = {}
  S.decl = V.storage .. " " .. o.name .. "[" .. n .. "];"
  function S.load(src, row0, col_ok, sp)
    local ok = "gr < " .. o.T .. (col_ok and (" && " .. col_ok("c")) or "")
    return each(sp, {
      "const size_t gr = " .. row0 .. " + (size_t)(" .. r .. ");",
      o.name .. "[e] = " .. ok .. " ? " .. src .. "[gr * " .. o.stride .. " + (size_t)c] : " .. zero .. ";" })
  end
  function S.store(put, sp)
    return each(sp, { "const int r = " .. r .. ";", put("r", "c", o.name .. "[e]") })
  end
  return S
end
