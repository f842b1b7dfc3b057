-- C text the fused tree and chain solves (tree_fused.c.tmpl,
-- chain_fused.c.tmpl and their backwards) share: a vertex's parameter block
-- into lane layout, record stores, the pivot check, the chains' pass 1.
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
  -- Pass 1 of the chain solves (chain_fused.c.tmpl and its backward): lane
  -- groups ga..gb-1 at each position from d down to LC (chunk 0's carry is
  -- not needed), a position's rows read as one run of groups; the carry into
  -- chunk k's positions (`used` elements of a CR slot of r->carry) builds in
  -- place in the slot of chunk k - 1, from chunk k's final one (zero above
  -- the top chunk). step(slot) is the call that takes position v of group gi.
  function F.chain_carries(d, LC, NCH, CR, step)
    local T, lines = plan.real, {}
    local function add(s) lines[#lines + 1] = "    " .. s end
    add("/* pass 1 (chunk 0's carry is not needed): every group at each position,")
    add(" * so a position's rows are read as one run of gb - ga groups. The carry")
    add(" * into chunk k's positions builds in place in the slot of chunk k - 1,")
    add(" * from chunk k's final one (zero above the top chunk). */")
    if NCH > 1 then
      add("for (gi = ga; gi < gb; gi++)")
      add("    memset(r->carry + (gi * " .. NCH .. " + " .. NCH - 2 .. ") * " .. CR .. ", 0, used * sizeof(" .. T .. "));")
    end
    add("for (v = " .. d .. "; v >= " .. LC .. "; v--) {")
    add("    const size_t k = (size_t)v / " .. LC .. ";")
    add("    for (gi = ga; gi < gb; gi++) {")
    add("        " .. T .. " *const slot = r->carry + (gi * " .. NCH .. " + k - 1) * " .. CR .. ";")
    add("        if (v % " .. LC .. " == " .. LC - 1 .. " && k + 1 < " .. NCH .. ")")
    add("            memcpy(slot, slot + " .. CR .. ", used * sizeof(" .. T .. "));")
    add("        " .. step("slot") .. ";")
    add("    }")
    add("}")
    return table.concat(lines, "\n")
  end
  return F
end
