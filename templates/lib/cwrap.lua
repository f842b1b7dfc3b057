-- C argument lists over lines: joins parts with ", " after head into lines
-- of at most 95 columns, then tail; continuation lines start with indent;
-- col: the column the first line starts at.
return function(head, parts, tail, indent, col)
  local lines, line, at = {}, head, col or 0
  for i, p in ipairs(parts) do
    local piece = p .. (i < #parts and "," or tail)
    local sep = line:sub(-1) == "(" and "" or " "
    if at + #line + #sep + #piece > 95 and line ~= head then
      lines[#lines + 1] = line
      line, at = indent .. piece, 0
    else
      line = line .. sep .. piece
    end
  end
  lines[#lines + 1] = line
  return table.concat(lines, "\n")
end
