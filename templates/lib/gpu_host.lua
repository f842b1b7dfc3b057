-- The host side of the GPU targets (DESIGN.md 6.4), spelled per target, so
-- each kernel's host code (KERNEL/gpu_host.tmpl) is written once: how a
-- function takes its device buffers, checks them, starts a call, launches
-- a kernel and ends the call.
--   OpenCL: NAME_cl_forward(queue, cl_mem ..., workspace), the program
--     from the runtime pair's cache, buffers checked against their sizes,
--     the status word read back at the end (the call waits);
--   CUDA: NAME_forward(device pointers ..., workspace, stream), kernels
--     launched by address (lib/cuda_prelude.cu.tmpl), never waiting: the
--     status word is read by NAME_status.
-- Kernel arguments are passed as an array of (size, address) (OpenCL) or of
-- addresses (CUDA) built with H.arg; scalars are H.ulong (a kernel's V.index).
-- T: the tensors' element type.
return function(V, NAME, T)
  local H = { cl = V.name == "opencl", cuda = V.name == "cuda" }
  H.wrap = require("lib.cwrap")
  if H.cl then
    H.ulong = "cl_ulong"
    H.mem = "cl_mem" -- a device buffer in a helper's parameters
    H.EINVAL = "MYOGEN_CL_EINVAL"
    H.ctx = "cl_command_queue queue, cl_program program" -- what helpers that launch take first
    H.ctx_args = "queue, program"
    H.ctx_void = "(void)queue, (void)program" -- (a helper that may launch nothing)
    H.pre = NAME .. "_cl_" -- the device-buffer functions and the static helpers
    H.ws_size = NAME .. "_cl_workspace_size"
    H.params, H.grads = NAME .. "_cl_params", NAME .. "_cl_grads"
    H.arg_t = "const myogen_cl_arg"
    H.arg = function(x) return "MYOGEN_CL_ARG(" .. x .. ")" end
    H.kernel_t = "const char *"
    H.kernel = function(k) return '"' .. NAME .. "_" .. k .. '"' end
    H.locals = "    cl_program program;\n"
    H.begin = "    rc = myogen_cl_program(queue, " .. NAME .. "_cl_source, " .. NAME .. "_CL_LINES, " ..
      NAME .. "_CL_OPTIONS,\n            \"" .. NAME .. "\", &program);\n    if (rc == 0)\n" ..
      "        rc = myogen_cl_status_begin(queue, workspace);"
    H.finish = "return rc != 0 ? rc : myogen_cl_status_end(queue, workspace);"
  else
    H.ulong = "unsigned long long"
    H.mem = "const void *"
    H.EINVAL = "1"
    H.ctx = "cudaStream_t stream"
    H.ctx_args = "stream"
    H.ctx_void = "(void)stream"
    H.pre = NAME .. "_"
    H.ws_size = NAME .. "_workspace_size"
    H.params, H.grads = NAME .. "_params", NAME .. "_grads"
    H.arg_t = "void *const"
    H.arg = function(x) return "(void *)&" .. x end
    H.kernel_t = "const void *"
    H.kernel = function(k) return "(const void *)" .. NAME .. "_" .. k end
    H.locals = ""
    H.begin = "    rc = " .. NAME .. "_status_begin(workspace, stream);"
    H.finish = "return rc;"
  end
  -- the arguments array `name` of the listed variables (a comma list)
  function H.args(name, list, indent)
    local xs = {}
    for a in list:gmatch("[^,%s]+") do xs[#xs + 1] = H.arg(a) end
    return H.wrap(indent .. H.arg_t .. " " .. name .. "[] = {", xs, " };", indent .. "    ")
  end
  local function nargs(args, n) return n or ("sizeof " .. args .. " / sizeof " .. args .. "[0]") end
  -- a launch over `items` work-items (the runtime's group size), returning
  -- an error code; n: the argument count when not the whole array
  function H.launch(kernel, items, args, indent, n)
    if H.cl then
      return H.wrap("myogen_cl_launch(queue, program,", { kernel, items, nargs(args, n), args }, ")", indent, #indent - 3)
    end
    return H.wrap(NAME .. "_launch(", { kernel, items, "0", args, "stream" }, ")", indent, #indent - 3)
  end
  -- ... over `groups` work-groups of `size` (kernels with a fixed group size)
  function H.launch_groups(kernel, groups, size, args, indent, n)
    if H.cl then
      return H.wrap("myogen_cl_launch_groups(queue, program,", { kernel, groups, size, nargs(args, n), args }, ")", indent, #indent - 3)
    end
    return H.wrap(NAME .. "_launch(", { kernel, groups, size, args, "stream" }, ")", indent, #indent - 3)
  end
  -- the declaration of public function `fn` ("forward", "backward"): bufs
  -- as { kind, name[, type] }, kind "in" (read), "out" (written), "params",
  -- "grads" (the myo structs), type the element type when not T (mlr's lse
  -- in float beside 16-bit tensors); sizes: the C ABI's size parameters
  function H.signature(fn, bufs, sizes)
    local ps = {}
    if H.cl then ps[1] = "cl_command_queue queue" end
    for _, b in ipairs(bufs) do
      local kind, n = b[1], b[2]
      if kind == "params" then ps[#ps + 1] = "const " .. H.params .. " *" .. n
      elseif kind == "grads" then ps[#ps + 1] = (H.cl and "const " or "") .. H.grads .. " *" .. n
      elseif H.cl then ps[#ps + 1] = "cl_mem " .. n
      else ps[#ps + 1] = (kind == "in" and "const " or "") .. (b[3] or T) .. " *" .. n end
    end
    for s in sizes:gmatch("[^,]+") do ps[#ps + 1] = "size_t " .. s:match("^%s*(.-)%s*$") end
    ps[#ps + 1] = H.cl and "cl_mem workspace" or "void *workspace"
    if H.cuda then ps[#ps + 1] = "cudaStream_t stream" end
    return H.wrap("int " .. H.pre .. fn .. "(", ps, ")", "        ")
  end
  -- true when buffer b is missing or (OpenCL) smaller than `bytes`
  function H.check(b, bytes)
    return H.cl and ("myogen_cl_check(" .. b .. ", " .. bytes .. ")") or ("!" .. b)
  end
  -- the condition that makes a call invalid: `first` (the sizes' tests),
  -- then each { buffer, bytes, optional } missing or (OpenCL) too small;
  -- an optional buffer may be NULL
  function H.invalid(first, bufs)
    local cs, missing = { (H.cl and "!queue || " or "") .. first }, {}
    for _, b in ipairs(bufs) do
      if H.cl then
        local c = H.check(b[1], b[2])
        cs[#cs + 1] = b[3] and ("(" .. b[1] .. " && " .. c .. ")") or c
      elseif not b[3] then
        missing[#missing + 1] = H.check(b[1], b[2])
      end
    end
    if #missing > 0 then cs[#cs + 1] = table.concat(missing, " || ") end
    return table.concat(cs, " ||\n        ")
  end
  return H
end
