-- The ISA vocabulary of a spec: templates/isa/<target>.lua for its dtype.
-- lib/multi_isa.c.tmpl renders a list target's kernel once per ISA (with
-- that ISA as the target); what the variants share, the header, is planned
-- with the list's last and most portable one.
return function(spec)
  local target = spec.target
  if type(target) == "table" then target = target[#target] end
  return require("isa." .. target)(spec.dtype)
end
