-- Tuning knobs (`myogen tune`, `myogen --wisdom`): the global KNOBS, set by
-- the compiler, replaces a plan's defaults; unset, the plan is
-- deterministic.  require("lib.knobs")(kernel, max) checks that every knob
-- set is one of the kernel's (max: name -> largest value) and returns
-- knob(name, default, step, what): the knob's value, an integer multiple
-- of step (what says what step is) in step..max[name], or the default.
return function(kernel, max)
  local knobs = KNOBS or {}
  local names = {}
  for k in pairs(max) do names[#names + 1] = k end
  table.sort(names)
  for k in pairs(knobs) do
    if not max[k] then
      error(("unknown knob %s (%s knobs: %s)"):format(tostring(k), kernel, table.concat(names, ", ")), 0)
    end
  end
  return function(name, default, step, what)
    local v = knobs[name]
    if v == nil then return default end
    if math.type(v) ~= "integer" or v < step or v % step ~= 0 or v > max[name] then
      error(("knob %s=%s: expected a multiple of %d (%s) in %d..%d"):format(
        name, tostring(v), step, what, step, max[name]), 0)
    end
    return v
  end
end
