# tests/python: the myogen Python package and its PyTorch operators (pytest),
# plus examples/python/train_torch.py.  They need an interpreter with torch,
# numpy and pytest (.ci/python-deps installs them): MYOGEN_PYTHON, default the
# python3 on PATH.  Not added without them, nor in sanitizer builds (the
# kernels would be loaded into an uninstrumented interpreter).
find_program(MYOGEN_PYTHON NAMES python3 python DOC "interpreter for tests/python")
set(py_ok 1)
if(MYOGEN_PYTHON)
  execute_process(COMMAND ${MYOGEN_PYTHON} -c "import torch, numpy, pytest"
                  RESULT_VARIABLE py_ok OUTPUT_QUIET ERROR_QUIET)
endif()
if(MYOGEN_SANITIZE)
  message(STATUS "tests/python: not added in a sanitizer build")
elseif(NOT py_ok EQUAL 0)
  message(STATUS "tests/python: '${MYOGEN_PYTHON}' cannot import torch, numpy and pytest "
                 "(run .ci/python-deps): not added")
else()
  # the installed package when there is one (pip install .), else python/;
  # kernels cached in the build directory across runs
  set(py_env PYTHONDONTWRITEBYTECODE=1 "CC=${CMAKE_C_COMPILER}" MYOGEN=$<TARGET_FILE:myogen>
             MYOGEN_TEST_CACHE=${CMAKE_BINARY_DIR}/python-kernel-cache OMP_NUM_THREADS=1)
  # the CUDA kernels run on the host (test_cuda_emu.py, the longest part)
  # as a test of their own, beside the rest in parallel
  add_test(NAME python_package
           COMMAND ${CMAKE_COMMAND} -E env ${py_env}
                   ${MYOGEN_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/python
                   --ignore=${CMAKE_CURRENT_SOURCE_DIR}/python/test_cuda_emu.py)
  add_test(NAME python_cuda_emu
           COMMAND ${CMAKE_COMMAND} -E env ${py_env}
                   ${MYOGEN_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR}/python/test_cuda_emu.py)
  set_tests_properties(python_package PROPERTIES TIMEOUT 600)
  # (alone 2.7 min on the 2-core guest; beside the PoCL tests its emulated
  # blocks' barriers wait on the CPU: one run took over 600 s)
  set_tests_properties(python_cuda_emu PROPERTIES TIMEOUT 900)
  add_test(NAME python_torch_example
           COMMAND ${CMAKE_COMMAND} -E env ${py_env} PYTHONPATH=${PROJECT_SOURCE_DIR}/python
                   MYOGEN_CACHE=${CMAKE_BINARY_DIR}/python-kernel-cache
                   ${MYOGEN_PYTHON} ${PROJECT_SOURCE_DIR}/examples/python/train_torch.py --steps 150)
  set_tests_properties(python_torch_example PROPERTIES TIMEOUT 300)
  # the pixel-order experiment on a reduced budget (one seed, 3 epochs; needs
  # scikit-learn's digits: skipped, exit 77, without it)
  add_test(NAME digits_example
           COMMAND ${CMAKE_COMMAND} -E env ${py_env} PYTHONPATH=${PROJECT_SOURCE_DIR}/python
                   MYOGEN_CACHE=${CMAKE_BINARY_DIR}/python-kernel-cache
                   ${MYOGEN_PYTHON} ${PROJECT_SOURCE_DIR}/examples/digits/digits.py --quick)
  set_tests_properties(digits_example PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
