-- C text the fused tree solves (tree_fused.c.tmpl, tree_fused_backward.c.tmpl)
-- share: a vertex's parameter block into lane layout, record stores, the
-- pivot check.
return function(plan, NAME)
  local V, NS, TL = plan.isa, plan.NS, plan.TL
  local F = {}
  -- vertex v's block of array r->X for group gi (valid lanes) into dst
  function F.blk(X, v, pad, dst)
    return NAME .. "_lane_block(r->" .. X .. " + ((" .. v .. ") * r->lanes + gi * " .. TL .. ") * " ..
      NS .. ", valid, " .. pad .. ", " .. dst .. ");"
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
  return F
end
