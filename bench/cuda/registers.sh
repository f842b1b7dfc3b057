#!/usr/bin/env bash
# Registers, spills and shared memory of every kernel of a spec's CUDA build,
# as ptxas reports them: a machine without a GPU can see what a template
# change does to occupancy (e.g. 216 -> 119 registers a work-item for the
# myo tree's k_leaves when it stopped holding every leaf's terms across the
# batch).  Needs nvcc (the PyPI package nvidia-cuda-nvcc will do; $NVCC
# names another).
#
#   bench/cuda/registers.sh [-m MYOGEN] [-a ARCH] SPEC [-D key=value ...]
#
# One line per kernel: registers, spill stores and loads (bytes), static
# shared memory (bytes), name.
set -euo pipefail
myogen=${MYOGEN:-build/compiler/myogen}
nvcc=${NVCC:-nvcc}
arch=sm_90
while getopts m:a: opt; do
  case $opt in
    m) myogen=$OPTARG ;;
    a) arch=$OPTARG ;;
    *) echo "usage: $0 [-m MYOGEN] [-a ARCH] SPEC [-D key=value ...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-m MYOGEN] [-a ARCH] SPEC [-D key=value ...]" >&2; exit 2; }
spec=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$myogen" "$spec" -o "$work/k.cu" "$@" -D target=cuda
"$nvcc" -O3 -arch="$arch" -c "$work/k.cu" -o "$work/k.o" -Xptxas -v 2> "$work/ptxas.txt"
# ptxas prints, per entry function: "Compiling entry function 'NAME'", then
# the spill line, then "Used R registers, ... S bytes smem"
awk '
  /Compiling entry function/ {
    split($0, q, "'"'"'"); name = q[2]; st = 0; ld = 0
    if (match(name, /^_Z[0-9]+/)) name = substr(name, RLENGTH + 1, substr(name, 3, RLENGTH - 2) + 0) # the C++ mangling off
  }
  /bytes spill stores/ { for (i = 1; i <= NF; i++) { if ($i == "spill" && $(i + 1) == "stores,") st = $(i - 2); if ($i == "spill" && $(i + 1) == "loads") ld = $(i - 2) } }
  /Used [0-9]+ registers/ {
    regs = 0; smem = 0
    for (i = 1; i <= NF; i++) { if ($(i + 1) ~ /^registers/) regs = $i; if ($(i + 1) ~ /^bytes/ && $(i + 2) ~ /^smem/) smem = $i }
    printf "%4d regs  %5d/%-5d spill  %6d smem  %s\n", regs, st, ld, smem, name
  }' "$work/ptxas.txt"
