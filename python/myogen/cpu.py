"""Which C targets this CPU runs, best first."""

import functools

TARGETS = ("avx512", "avx2", "neon", "c")  # the CPU targets myogen implements, best first
# /proc/cpuinfo features each needs (x86 "flags", AArch64 "Features": asimd is NEON)
NEEDS = {"avx512": ("avx512f", "fma"), "avx2": ("avx2", "fma"), "neon": ("asimd",), "c": ()}


@functools.lru_cache(maxsize=None)
def flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def supports(target):
    return all(flag in flags() for flag in NEEDS[target])


def usable_targets():
    return [t for t in TARGETS if supports(t)]
