#!/usr/bin/env python3
"""Does the order of the pixels matter to a tree-structured sequence mixer?
The Myosotis paper's central experiment, small: classify scikit-learn's 8x8
digits with Myo layers over a quad tree of depth 3 (arity 4: its 64 leaves
are the pixels, each vertex couples 4 children), the pixels laid out on
the leaves in four orders:

  morton  Z-order: the 4 pixels of every 2x2 block share a parent, every
          4x4 block a grandparent (the quad tree of the image)
  raster  row by row: a parent holds 4 pixels of one row
  snake   row by row, every other row reversed (boustrophedon)
  random  one fixed permutation

The model sees pixels only through the tree (no position embedding):
value -> Linear(1, C) -> 2 blocks h + Linear(GELU(MyoLayer(LayerNorm(h))))
-> mean over pixels -> Linear(C, 10), trained with Adam on the same split and seeds for every
order.  Prints test accuracy (mean +- std over the seeds) and writes the
table as SVG.

    python3 examples/digits/digits.py [--seeds 3] [--epochs 20] [--svg FILE]
    python3 examples/digits/digits.py --quick   (CI: one seed, 3 epochs; exit 1
                                                 if an order stays at chance)
Needs torch, numpy, scikit-learn (pip install scikit-learn) and myogen
(pip install ., or PYTHONPATH=python with a build).  Exit 77: a package
missing."""

import argparse
import sys

try:
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
except ImportError as e:
    print("digits: %s: skipping" % e)
    sys.exit(77)

sys.dont_write_bytecode = True
import myogen.torch as mt  # noqa: E402

SIDE = 8  # pixels per image side: 64 = 4^3 leaves
# share "vertex": every vertex its own parameters (with "level" sharing the
# mean-pooled model reached only ~40% after 30 epochs: too little to compare)
SPEC = dict(kernel="myo", name="digits_quadtree", arity=4, depth=3, state=8, share="vertex",
            readout="siso", dtype="f32", passes=["forward", "backward"])


def orders(side):
    """The leaf order of each layout: pixel (row-major index) at each leaf."""
    random = torch.from_numpy(np.random.default_rng(1234).permutation(side * side))
    return {"morton": mt.morton_order(side, side), "raster": mt.raster_order(side, side),
            "snake": mt.snake_order(side, side), "random": random}


class Block(torch.nn.Module):
    """h + W gelu(Myo(LayerNorm(h))): the Myo layer mixes along the tree (each
    channel on its own), W across channels."""

    def __init__(self, channels):
        super().__init__()
        self.norm = torch.nn.LayerNorm(channels)
        self.myo = mt.MyoLayer(SPEC, channels)
        self.out = torch.nn.Linear(channels, channels)

    def forward(self, h):
        return h + self.out(torch.nn.functional.gelu(self.myo(self.norm(h))))


class Classifier(torch.nn.Module):
    def __init__(self, channels, layers=2):
        super().__init__()
        self.embed = torch.nn.Linear(1, channels)
        self.blocks = torch.nn.Sequential(*(Block(channels) for _ in range(layers)))
        self.head = torch.nn.Linear(channels, 10)

    def forward(self, x):  # x [batch][64] in leaf order
        return self.head(self.blocks(self.embed(x.unsqueeze(-1))).mean(1))


def split(n, seed=0, test=0.2):
    idx = np.random.default_rng(seed).permutation(n)
    cut = int(n * test)
    return idx[cut:], idx[:cut]


def train(x, y, tr, te, order, seed, epochs, channels=32, batch=64):
    torch.manual_seed(seed)
    xs = x[:, order]
    model = Classifier(channels)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.from_numpy(tr)[torch.randperm(len(tr), generator=g)]
        for i in range(0, len(perm), batch):
            b = perm[i:i + batch]
            loss = torch.nn.functional.cross_entropy(model(xs[b]), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return (model(xs[te]).argmax(1) == y[te]).float().mean().item()


def svg(results, path):
    """A bar per order: mean test accuracy, a whisker of +- one std."""
    w, h, left, bottom, bar = 420, 260, 50, 40, 60
    top = 20
    scale = (h - bottom - top) / 1.0
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (w, h),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, h - bottom, w - 10, h - bottom)]
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        yy = h - bottom - t * scale
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (left - 5, yy + 4, t))
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (left, yy, w - 10, yy))
    for i, (name, accs) in enumerate(results.items()):
        mean, std = float(np.mean(accs)), float(np.std(accs))
        x0 = left + 20 + i * (bar + 30)
        top_y = h - bottom - mean * scale
        out.append('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="#4a7ab5"/>'
                   % (x0, top_y, bar, mean * scale))
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>'
                   % (x0 + bar / 2, top_y - std * scale, x0 + bar / 2, top_y + std * scale))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x0 + bar / 2, h - bottom + 16, name))
        out.append('<text x="%.1f" y="%.1f" text-anchor="middle">%.3f</text>' % (x0 + bar / 2, top_y - std * scale - 4, mean))
    out.append('<text x="%d" y="%d">test accuracy, 8x8 digits, Myo quad tree (mean +- std)</text>'
               % (left, h - 8))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--svg", help="write the table as an SVG bar chart")
    ap.add_argument("--quick", action="store_true", help="one seed, 3 epochs; fail at chance")
    o = ap.parse_args()
    if o.quick:
        o.seeds, o.epochs = 1, 3
    torch.set_num_threads(1)
    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target)
    tr, te = split(len(y))
    results = {}
    for name, order in orders(SIDE).items():
        results[name] = [train(x, y, tr, te, order, seed, o.epochs) for seed in range(o.seeds)]
        a = results[name]
        print("%-7s test accuracy %.3f +- %.3f  (%s)" % (name, np.mean(a), np.std(a),
                                                        ", ".join("%.3f" % v for v in a)), flush=True)
    print("(%d train / %d test images, %d seeds, %d epochs)" % (len(tr), len(te), o.seeds, o.epochs))
    if o.svg:
        svg(results, o.svg)
    if o.quick and min(min(a) for a in results.values()) < 0.3:  # chance: 0.1
        print("digits: an order stayed near chance")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
