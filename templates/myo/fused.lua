-- C text the fused tree solves (tree_fused.c.tmpl, tree_fused_backward.c.tmpl)
-- share: a vertex's parameter block into lane layout, record stores, the
-- pivot check.
return function(plan, NAME)
  local V, NS, TL = plan.isa, plan.NS, plan.TL
  local F = {}
  -- the rows are read in blocks, group by group, between other streams:
  -- the hardware's prefetch fell behind (arity 4, avx2, one core: 47 ms,
  -- 31 ms asking for the block 2 KiB ahead; 1, 1.5 and 8 KiB: 35, 31, 33)
  local AHEAD = 2048 // plan.size
  -- vertex v's block of array r->X for group gi (valid lanes) into dst
  function F.blk(X, v, pad, dst)
    return NAME .. "_lane_block(r->" .. X .. " + ((" .. v .. ") * r->lanes + gi * " .. TL .. ") * " ..
      NS .. ", " .. NS .. ", 1, valid, " .. pad .. ", " .. dst .. ", " .. AHEAD .. ");"
  end
  -- records are written once and read in a later pass, from memory: stored
  -- without reading their lines first where the ISA can (ordered by fence())
  F.put = V.stream or V.store
  function F.fence() return V.stream and (V.sfence() .. ";") or "" end
  -- si = 1 / s, and acc (default chk) turns NaN if s is zero or not
  -- finite; its chain is one add per pivot (two FMAs on it, the chain
  -- spilled to the stack, cost the leaf loop 13 cycles a pivot)
  function F.pivot(s, si, ind, acc)
    acc = acc or "chk"
    return si .. " = " .. V.div("one", s) .. ";\n" .. string.rep(" ", ind) .. acc .. " = " ..
      V.add(acc, V.fma(s, "zero", V.mul(si, "zero"))) .. ";"
  end
  -- C statements adding the NS terms op(x_n, y_n, acc) to init (op: V.fma or
  -- V.fnma, term(n) gives x_n, y_n) in min(4, NS) independent sums (one
  -- chain of NS FMAs would wait on their latency), and the total's expression
  function F.dot(ind, init, term, op)
    local NA = math.min(4, NS)
    local st = {}
    for a = 0, NA - 1 do st[#st + 1] = V.vec .. " a" .. a .. " = " .. (a == 0 and init or V.zero()) .. ";" end
    for n = 0, NS - 1 do
      local x, y = term(n)
      st[#st + 1] = "a" .. n % NA .. " = " .. op(x, y, "a" .. n % NA) .. ";"
    end
    local sum = "a0"
    for a = 1, NA - 1 do sum = V.add(sum, "a" .. a) end
    return table.concat(st, "\n" .. string.rep(" ", ind)), sum
  end
  return F
end
