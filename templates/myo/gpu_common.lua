-- Names and index expressions the GPU myo templates (gpu_*.tmpl) share, so
-- the tree, the chain, the level sums and the reductions agree on them.
return function(plan, spec)
  local V, T, NAME, N, NS = plan.isa, plan.real, spec.name, plan.N, plan.NS
  local c = {}
  -- lanes: channels (siso or dense: NS states each) or channel*state pairs
  c.LANES = NS > 1 and "channels" or ("channels * " .. N)
  -- parameter batches: the batch for share "input", else one set
  c.PB = plan.input and "batch" or "1"
  c.IONS = plan.siso and 1 or NS -- elements of u, y per (position, lane)
  -- kernel arguments of the six parameter (pre "") or gradient (pre "g") fields
  function c.decl(q, pre)
    local xs = {}
    for _, f in ipairs({ "A", "B", "C", "Bin", "Cout", "D" }) do
      xs[#xs + 1] = V.global .. q .. T .. " *" .. pre .. f
    end
    return table.concat(xs, ", ")
  end
  c.PARAMS, c.GRADS = c.decl("const ", ""), c.decl("", "g")
  -- u, y, dy, du of position l of batch element b
  function c.io(X, b, l)
    return X .. " + ((" .. b .. " * " .. plan.tree.L .. " + " .. l .. ") * lanes + lane) * " .. c.IONS
  end
  -- stores a work-item's partial sums of dBin, dCout, dD (private pBin,
  -- pCout, pD) into partial slot `slot` of the section at pio, summed by
  -- gpu_reduce_io.tmpl; `who` names the slot's owner in the comment
  function c.store_pio(slot, who, ind)
    local sp = string.rep(" ", ind)
    return table.concat({
      "{ /* this " .. who .. "'s partial sums of dBin, dCout, dD */",
      sp .. "    " .. V.global .. T .. " *const o = ws + pio + (" .. slot .. ") * " .. 2 * N + 1 .. " * lanes + lane;",
      sp .. "    " .. NAME .. "_sstore(o, lanes, pBin, " .. N .. ");",
      sp .. "    " .. NAME .. "_sstore(o + " .. N .. " * lanes, lanes, pCout, " .. N .. ");",
      sp .. "    o[" .. 2 * N .. " * lanes] = (" .. T .. ")pD;",
      sp .. "}",
    }, "\n")
  end
  return c
end
