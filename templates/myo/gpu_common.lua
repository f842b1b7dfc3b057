-- Names and index expressions the GPU myo templates (gpu_*.tmpl) share, so
-- the tree, the chain, the level sums and the reductions agree on them.
return function(plan, spec)
  local V, T, NAME, N, NS = plan.isa, plan.real, spec.name, plan.N, plan.NS
  local c = {}
  -- lanes: channels (siso or dense: NS states each) or channel*state pairs
  -- (readout none with diag blocks; siso split, plan.SP: N lanes a channel)
  c.LANES = NS > 1 and "channels" or ("channels * " .. N)
  local SP = plan.SP
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
  -- u, y, dy, du of position l of batch element b (siso split: of the lane's channel)
  function c.io(X, b, l)
    if SP then return X .. " + (" .. b .. " * " .. plan.tree.L .. " + " .. l .. ") * (lanes / " .. SP .. ") + lane / " .. SP end
    return X .. " + ((" .. b .. " * " .. plan.tree.L .. " + " .. l .. ") * lanes + lane) * " .. c.IONS
  end
  -- D of the lane's channel (siso; split: on the channel's first state
  -- only, so the sum over its states counts it once)
  function c.dterm()
    if SP then return "(lane % " .. SP .. " == 0 ? D[lane / " .. SP .. "] : 0)" end
    return "D[lane]"
  end
  -- stores a work-item's partial sums of dBin, dCout, dD (private pBin,
  -- pCout, pD) into partial slot `slot` of the section at pio, summed by
  -- gpu_reduce_io.tmpl; `who` names the slot's owner in the comment
  function c.store_pio(slot, who, ind)
    local sp = string.rep(" ", ind)
    if SP then -- split: [slot][2N+1][channels], the item's state n of its channel
      return table.concat({
        "{ /* this " .. who .. "'s partial sums of dBin, dCout (state n of the channel), dD (state 0) */",
        sp .. "    " .. V.global .. T .. " *const o = ws + pio + (" .. slot .. ") * " .. 2 * N + 1 .. " * channels + lane / " .. SP .. ";",
        sp .. "    const size_t n = lane % " .. SP .. ";",
        sp .. "    o[n * channels] = (" .. T .. ")pBin[0];",
        sp .. "    o[(" .. N .. " + n) * channels] = (" .. T .. ")pCout[0];",
        sp .. "    if (n == 0)",
        sp .. "        o[" .. 2 * N .. " * channels] = (" .. T .. ")pD;",
        sp .. "}",
      }, "\n")
    end
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
