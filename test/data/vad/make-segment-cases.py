#!/usr/bin/env python3
"""Builds test/data/vad/segment-cases.json: speech-probability sequences and the segments silero-vad's own
`get_speech_timestamps` makes of them, for test/speech-segments-follow-silero-vad.test.ts.

    python3 test/data/vad/make-segment-cases.py /path/to/silero-vad/src    # a checkout of snakers4/silero-vad

Needs torch (the function is decorated with torch.no_grad and calls the model on torch tensors); torchaudio and
packaging are stubbed when missing, as nothing here decodes audio. The model is a stub that replays the sequence
(as float64, so a value equal to a threshold compares the same way in Python and in JavaScript). Deterministic:
Python's `random` with a fixed seed; probabilities have 3 decimals, with values exactly at `threshold` and at
`threshold - 0.15` mixed in, so `>=` against `<` is exercised.
"""
import json
import math
import os
import random
import sys
import types

CASES = 240
SEED = 20261123
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "segment-cases.json")


def import_silero(source: str):
    for name in ("torchaudio", "packaging", "packaging.version"):
        try:
            __import__(name)
        except ImportError:
            module = types.ModuleType(name)
            module.version = types.SimpleNamespace(parse=lambda v: v)  # only read by read_audio/save_audio
            module.__version__ = "0"
            sys.modules[name] = module
    sys.path.insert(0, source)
    from silero_vad.utils_vad import get_speech_timestamps
    return get_speech_timestamps


class ReplayModel:
    """Stands in for the ONNX model: window i's probability is probabilities[i]."""

    def __init__(self, probabilities):
        self.probabilities = probabilities
        self.calls = 0

    def reset_states(self):
        self.calls = 0

    def __call__(self, chunk, sampling_rate):
        import torch
        value = torch.tensor(self.probabilities[self.calls], dtype=torch.float64)
        self.calls += 1
        return value


def sequence(rng: random.Random, windows: int, threshold: float, negative: float) -> list:
    """Runs of speech, silence and in-between values, of random lengths."""
    out = []
    state = rng.choice(["speech", "silence"])
    while len(out) < windows:
        run = max(1, int(rng.expovariate(1 / rng.choice([2, 5, 12]))))
        for _ in range(min(run, windows - len(out))):
            roll = rng.random()
            if roll < 0.04:
                value = threshold
            elif roll < 0.08:
                value = negative
            elif state == "speech":
                value = round(rng.uniform(threshold, 1.0), 3) if rng.random() < 0.85 else round(rng.uniform(negative, threshold), 3)
            elif state == "silence":
                value = round(rng.uniform(0.0, negative), 3) if rng.random() < 0.85 else round(rng.uniform(negative, threshold), 3)
            else:
                value = round(rng.uniform(negative, threshold), 3)
            out.append(min(value, 0.999))
        state = rng.choices(["speech", "silence", "between"], [0.45, 0.45, 0.1])[0]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    get_speech_timestamps = import_silero(sys.argv[1])
    import torch

    rng = random.Random(SEED)
    cases = []
    for _ in range(CASES):
        rate = rng.choice([16000, 8000])
        window = 512 if rate == 16000 else 256
        windows = rng.randint(1, 120)
        # whole windows now and then, so a segment open at the end can last exactly min_speech_duration_ms
        total = windows * window - (0 if rng.random() < 0.3 else rng.randrange(window))
        threshold = rng.choice([0.5, 0.5, 0.3, 0.6, 0.75, 0.9, 0.12])
        neg_threshold = rng.choice([None, None, None, round(threshold - rng.uniform(0.0, 0.3), 2)])
        if neg_threshold is not None and neg_threshold <= 0:
            neg_threshold = None
        negative = neg_threshold if neg_threshold is not None else max(threshold - 0.15, 0.01)
        max_speech = rng.choice([math.inf, round(rng.uniform(0.15, 3.0), 2)])
        # splits at a silence need silences over 98 ms that do not end the segment: long min_silence_duration_ms
        long_silences = max_speech != math.inf and rng.random() < 0.6
        options = {
            "threshold": threshold,
            "neg_threshold": neg_threshold,
            "min_speech_duration_ms": rng.choice([0, 32, 64, 50, 100, 250, 500]),  # 32, 64: whole windows
            "min_silence_duration_ms": rng.choice([200, 300, 500] if long_silences else [0, 32, 64, 100, 200, 300]),
            "speech_pad_ms": rng.choice([0, 10, 30, 64, 100]),
            "max_speech_duration_s": max_speech,
        }
        probabilities = sequence(rng, windows, threshold, negative)
        segments = get_speech_timestamps(torch.zeros(total), ReplayModel(probabilities), sampling_rate=rate, **options)
        cases.append({
            "sampleRate": rate,
            "totalSamples": total,
            **{k: (None if v == math.inf else v) for k, v in options.items()},
            "probabilities": probabilities,
            "segments": [[s["start"], s["end"]] for s in segments],
        })
    with open(OUT, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases) + "\n]\n")
    print(f"{OUT}: {len(cases)} cases, {sum(len(c['segments']) for c in cases)} segments, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
