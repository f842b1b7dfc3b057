"""A generated header's kernel name and its NAME_* constant macros."""

import re


def _value(text):
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        return [_value(v) for v in text[1:-1].split(",") if v.strip()]
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse(path):
    """(name, {MACRO: value}) with ints, floats and {a, b} lists as Python values."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"size_t\s+(\w+)_workspace_size\s*\(", text)
    if not m:
        raise ValueError("%s: no NAME_workspace_size declaration" % path)
    name = m.group(1)
    pattern = r"^#define\s+%s_([A-Z0-9_]+)\s+([-+{0-9.][^/\n]*?)\s*(?:/\*.*)?$" % re.escape(name)
    macros = {}
    for macro, value in re.findall(pattern, text, re.M):
        try:
            macros[macro] = _value(value)
        except ValueError:
            pass  # not a constant (none today)
    return name, macros
