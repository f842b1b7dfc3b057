-- Block arithmetic for the myo solve templates, written once for diag and
-- dense blocks: each function returns lines of C that update accumulators
-- with (block matrix) x (state vector), grouped by column so every state
-- element is loaded once.
return function(plan)
  local V, NS = plan.isa, plan.NS
  local B = {}

  -- acc(r) op= sum over the block's columns c of row r: coeff(r, c) * x(c)
  -- op "-" (fnma) or "+" (fma); transposed: coeff(c, r) (the block's transpose)
  function B.update(rows, coeff, x, acc, op, transposed)
    local by_col, order = {}, {}
    for _, r in ipairs(rows) do
      for _, c in ipairs(plan.cols(r)) do
        if not by_col[c] then by_col[c] = {}; order[#order + 1] = c end
        table.insert(by_col[c], r)
      end
    end
    table.sort(order)
    local lines = {}
    for _, c in ipairs(order) do
      lines[#lines + 1] = "{"
      lines[#lines + 1] = "    const " .. V.vec .. " xc = " .. x(c) .. ";"
      for _, r in ipairs(by_col[c]) do
        local k = transposed and coeff(c, r) or coeff(r, c)
        local f = op == "-" and V.fnma or V.fma
        lines[#lines + 1] = "    " .. acc(r) .. " = " .. f(k, "xc", acc(r)) .. ";"
      end
      lines[#lines + 1] = "}"
    end
    return lines
  end

  -- rows 0..NS-1 in chunks of the register blocking size
  function B.chunks(count, size)
    local cs = {}
    for c0 = 0, count - 1, size do
      local rows = {}
      for r = c0, math.min(c0 + size, count) - 1 do rows[#rows + 1] = r end
      cs[#cs + 1] = rows
    end
    return cs
  end

  -- lines of C as one interpolation: the first at the template's column,
  -- the others `indent` spaces in
  function B.join(lines, indent)
    return table.concat(lines, "\n" .. string.rep(" ", indent))
  end

  function B.all_rows()
    local rows = {}
    for r = 0, NS - 1 do rows[#rows + 1] = r end
    return rows
  end

  return B
end
