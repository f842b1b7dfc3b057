-- The body of NAME_binv (block_lanes.c.tmpl): X = X^-1 in place for a
-- lane-layout N x N block by Gauss-Jordan with partial pivoting, each lane
-- its own pivot rows (the first largest |entry|, as scalar code picks),
-- written once and emitted two ways: unrolled over named registers x{a}_{b}
-- for N <= 8 (arity 4, N 4, data in cache: factor and solve 150 -> 109 ns
-- per vertex and lane group against the loops), or as C loops over the
-- block in memory for larger N.
-- Returns the lines of C; the function's variables are X, q, chk, ck.
return function(plan)
  local V, N, TL, W, T = plan.isa, plan.N, plan.TL, plan.W, plan.real
  local vec = V.vec
  local unroll = N <= 8
  local out, depth = {}, 1
  local function emit(s) out[#out + 1] = string.rep("    ", depth) .. s end
  local function num(i) return "(" .. T .. ")" .. i end
  -- i + d where i is a number (unrolled) or a C variable
  local function plus(i, d) return type(i) == "number" and i + d or (i .. " + " .. d) end
  local function mem(a, b) return "X + ((" .. a .. ") * " .. N .. " + (" .. b .. ")) * " .. TL .. " + q" end
  local function get(a, b) return unroll and ("x" .. a .. "_" .. b) or V.load(mem(a, b)) end
  local function set(a, b, v)
    emit(unroll and ("x" .. a .. "_" .. b .. " = " .. v .. ";") or (V.store(mem(a, b), v) .. ";"))
  end
  -- body(i) for i in [lo, hi) (down: from hi - 1 to lo); `when`: a C
  -- condition that guards every pass
  local function each(var, lo, hi, body, down, when)
    if unroll then
      local from, to, step = lo, hi - 1, 1
      if down then from, to, step = hi - 1, lo, -1 end
      for i = from, to, step do body(i) end
      return
    end
    local guard = when and (when .. " && ") or ""
    if down then
      emit(("for (%s = %s; %s%s-- > %s;) {"):format(var, hi, guard, var, lo))
    else
      emit(("for (%s = %s; %s%s < %s; %s++) {"):format(var, lo, guard, var, hi, var))
    end
    depth = depth + 1
    body(var)
    depth = depth - 1
    emit("}")
  end
  local function block(body)
    emit("{")
    depth = depth + 1
    body()
    depth = depth - 1
    emit("}")
  end
  local function abs(x) return V.max(x, V.sub("zero", x)) end
  -- swap entries p and r where lane mask m is set
  local function swap(m, pa, pb, ra, rb)
    block(function()
      emit("const " .. vec .. " s0 = " .. get(pa, pb) .. ", s1 = " .. get(ra, rb) .. ";")
      set(pa, pb, V.select(m, "s1", "s0"))
      set(ra, rb, V.select(m, "s0", "s1"))
    end)
  end
  -- the lanes' mask of "idx is row a" (indices are small integers)
  local function is_row(idx, a)
    return "const " .. vec .. " da = " .. V.sub(idx, V.set1(num(a))) .. ", ad = " .. abs("da") ..
      ";\n" .. string.rep("    ", depth + 1) .. "const " .. V.mask .. " m = " .. V.cmp_lt("ad", "half") .. ";"
  end

  emit("const " .. vec .. " one = " .. V.set1("1") .. ", zero = " .. V.zero() .. ", half = " .. V.set1("0.5") .. ";")
  emit(vec .. " piv[" .. N .. "]; /* the row each column's pivot came from, per lane */")
  emit("int moved[" .. N .. "]; /* whether any lane's came from another row (most blocks: none) */")
  emit(vec .. " ck = *chk;")
  emit("(void)half, (void)piv; /* N 1: no row exchanges */")
  if unroll then
    for a = 0, N - 1 do
      for b = 0, N - 1 do emit(vec .. " x" .. a .. "_" .. b .. " = " .. V.load(mem(a, b)) .. ";") end
    end
  else
    emit("size_t a, b, c;")
  end
  each("c", 0, N, function(c)
    block(function()
      emit(vec .. " best, idx = " .. V.set1(num(c)) .. ", p, pi;")
      block(function()
        emit("const " .. vec .. " x = " .. get(c, c) .. ";")
        emit("best = " .. abs("x") .. ";")
      end)
      each("a", plus(c, 1), N, function(a)
        block(function()
          emit("const " .. vec .. " x = " .. get(a, c) .. ", ax = " .. abs("x") .. ";")
          emit("const " .. V.mask .. " m = " .. V.cmp_gt("ax", "best") .. ";")
          emit("best = " .. V.select("m", "ax", "best") .. ";")
          emit("idx = " .. V.select("m", V.set1(num(a)), "idx") .. ";")
        end)
      end)
      emit("(void)best; /* the last column has no candidates */")
      emit("piv[" .. c .. "] = idx;")
      block(function()
        emit(T .. " at[" .. W .. "];")
        emit("size_t w;")
        emit(V.storeu("at", "idx") .. ";")
        emit("for (moved[" .. c .. "] = 0, w = 0; w < " .. W .. "; w++)")
        emit("    moved[" .. c .. "] |= at[w] != " .. num(c) .. ";")
      end)
      emit("if (moved[" .. c .. "]) { /* swap rows c and a where a is the pivot row */")
      depth = depth + 1
      each("a", plus(c, 1), N, function(a)
        block(function()
          emit(is_row("idx", a))
          each("b", 0, N, function(b) swap("m", c, b, a, b) end)
        end)
      end)
      depth = depth - 1
      emit("}")
      emit("p = " .. get(c, c) .. ";")
      emit("pi = " .. V.div("one", "p") .. ";")
      emit("ck = " .. V.add("ck", V.fma("p", "zero", V.mul("pi", "zero"))) .. ";")
      set(c, c, "one")
      each("b", 0, N, function(b) set(c, b, V.mul(get(c, b), "pi")) end)
      each("a", 0, N, function(a)
        if unroll and a == c then return end
        block(function()
          if not unroll then emit("if (a == c) continue;") end
          emit("const " .. vec .. " m = " .. get(a, c) .. ";")
          set(a, c, "zero")
          each("b", 0, N, function(b) set(a, b, V.fnma("m", get(c, b), get(a, b))) end)
        end)
      end)
    end)
  end)
  emit("/* (P S)^-1 = S^-1 P^T: undo the row swaps on the columns, last first */")
  each("c", 0, N, function(c)
    local guard = "moved[" .. c .. "]"
    if unroll then emit("if (" .. guard .. ") {"); depth = depth + 1 end
    each("a", plus(c, 1), N, function(a)
      block(function()
        emit(is_row("piv[" .. c .. "]", a))
        each("b", 0, N, function(b) swap("m", b, c, b, a) end)
      end)
    end, false, not unroll and guard or nil)
    if unroll then depth = depth - 1; emit("}") end
  end, true)
  each("a", 0, N, function(a)
    each("b", 0, N, function(b)
      emit("ck = " .. V.add("ck", V.mul(get(a, b), "zero")) .. ";")
      if unroll then emit(V.store(mem(a, b), get(a, b)) .. ";") end
    end)
  end)
  emit("*chk = ck;")
  return table.concat(out, "\n")
end
