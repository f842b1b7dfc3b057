"""Orders that flatten an H x W image into a sequence for a tree layer.

Each returns a permutation `perm` (LongTensor of H*W indices into the
row-major flattened image): seq = img.flatten(-2)[..., perm], and back
img_flat[..., perm] = seq.  Morton (Z-order) keeps every aligned 2^j x 2^j
block contiguous, so the leaves of one quadtree vertex are one image block."""

import torch


def raster_order(height, width):
    return torch.arange(height * width)


def snake_order(height, width):
    """Row by row, every other row reversed (neighbours in the sequence are
    neighbours in the image)."""
    idx = torch.arange(height * width).reshape(height, width)
    idx[1::2] = idx[1::2].flip(-1)
    return idx.reshape(-1)


def _interleave(v, bits):
    out = torch.zeros_like(v)
    for b in range(bits):
        out |= ((v >> b) & 1) << (2 * b)
    return out


def morton_order(height, width):
    """Z-order: pixels sorted by their interleaved (row, column) bits."""
    rows = torch.arange(height).repeat_interleave(width)
    cols = torch.arange(width).repeat(height)
    bits = max(height - 1, width - 1, 1).bit_length()
    code = (_interleave(rows, bits) << 1) | _interleave(cols, bits)
    return torch.argsort(code)
