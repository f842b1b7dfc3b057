/* tests/cuda_emu: the emulation stands in for the CUDA headers. */
#include "../cuda_emu.h"
