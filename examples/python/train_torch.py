#!/usr/bin/env python3
"""Train a small PyTorch model built from myogen layers on a toy task.

    pip install .            # at the repository root
    python3 examples/python/train_torch.py [--steps 300]

The model embeds a scalar signal, mixes it with causal MLR attention (the
kernel's forward and backward through torch autograd) and a Myo tree layer,
and must output the running mean of the signal so far plus a locally smoothed
copy of it.  Prints the loss; exits 0 when it fell below 20% of its start."""

import argparse
import sys

import torch
from torch import nn

import myogen.torch as mt

T, DIM = 64, 16

MLR_SPEC = dict(kernel="mlr", name="toy_mlr", seq_len=T, arity=2, depth=3, state=[4, 2, 2],
                value_dim=8, causal=True)
MYO_SPEC = dict(kernel="myo", name="toy_myo", arity=4, depth=3, state=4)  # 4^3 = 64 leaves


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(1, DIM)
        self.norm1, self.norm2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.attn = mt.MLRAttention(DIM, heads=2, spec=MLR_SPEC)
        self.mixer = mt.MyoLayer(MYO_SPEC, channels=DIM)
        self.head = nn.Linear(DIM, 1)

    def forward(self, x):
        h = self.embed(x)
        h = h + self.attn(self.norm1(h))
        h = h + self.mixer(self.norm2(h))
        return self.head(h)


def batch(n, gen):
    x = torch.randn(n, T, 1, generator=gen)
    running_mean = x.cumsum(1) / torch.arange(1, T + 1).view(1, T, 1)
    smooth = nn.functional.avg_pool1d(x.transpose(1, 2), 5, 1, 2, count_include_pad=False)
    return x, running_mean + 0.5 * smooth.transpose(1, 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)  # tensors this small: thread wake-ups cost more than they save
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for step in range(args.steps):
        x, y = batch(16, gen)
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
        if step % 50 == 0 or step == args.steps - 1:
            print("step %4d  loss %.5f" % (step, loss.item()), flush=True)
    ok = loss.item() < 0.2 * first
    print("ok" if ok else "FAILED: the loss did not fall below 20% of its start")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
