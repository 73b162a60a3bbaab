#!/usr/bin/env python3
"""Builds the WAV files of test/data/vad/ (see README.md there) from Debian's pocketsphinx-testdata.

    apt-get install -y pocketsphinx-testdata
    python3 test/data/vad/make-test-audio.py        # Python 3.11 with numpy and scipy (audioop for G.711)

Deterministic: the same inputs give the same bytes. Every file is written here with struct, from the RIFF/WAVE
specification, independently of the Worker's TypeScript decoder, and read back with scipy.io.wavfile (a third
implementation) wherever scipy can read the encoding, to check the writer.
"""
import audioop
import os
import struct

import numpy as np
from scipy import signal
from scipy.io import wavfile

SOURCE = "/usr/share/pocketsphinx/test/data"
HERE = os.path.dirname(os.path.abspath(__file__))
FORMATS = os.path.join(HERE, "formats")

PCM, IEEE_FLOAT, ALAW, MULAW, EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
GUID_SUFFIX = bytes.fromhex("000000001000800000aa00389b71")


def chunk(tag: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return tag + struct.pack("<I", len(payload)) + payload + pad


def fmt_chunk(tag: int, channels: int, rate: int, bits: int, container_bytes: int, extensible_of: int | None = None, valid_bits: int | None = None) -> bytes:
    block_align = channels * container_bytes
    body = struct.pack("<HHIIHH", EXTENSIBLE if extensible_of is not None else tag, channels, rate, rate * block_align, block_align, bits)
    if extensible_of is not None:
        mask = (1 << channels) - 1
        body += struct.pack("<HHI", 22, valid_bits or bits, mask) + struct.pack("<H", extensible_of) + GUID_SUFFIX
    elif tag != PCM:
        body += struct.pack("<H", 0)  # cbSize: non-PCM fmt chunks are 18 bytes
    return chunk(b"fmt ", body)


def wav(fmt: bytes, data: bytes, frames: int, extra_before_data: bytes = b"", fact: bool = False) -> bytes:
    body = b"WAVE" + fmt + (chunk(b"fact", struct.pack("<I", frames)) if fact else b"") + extra_before_data + chunk(b"data", data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm_bytes(x: np.ndarray, container_bytes: int, valid_bits: int | None = None) -> bytes:
    """Signed little-endian PCM (8-bit: unsigned), full scale = 2^(8·container − 1); samples left-justified."""
    bits = 8 * container_bytes
    scale = 2.0 ** (bits - 1)
    q = np.clip(np.round(x * scale), -scale, scale - 1).astype(np.int64)
    if valid_bits is not None and valid_bits < bits:
        q = (q >> (bits - valid_bits)) << (bits - valid_bits)  # the unused low bits are zero
    if container_bytes == 1:
        return (q + 128).astype(np.uint8).tobytes()
    u = q.astype(np.int64) & ((1 << bits) - 1)
    out = np.zeros((u.size, container_bytes), dtype=np.uint8)
    for b in range(container_bytes):
        out[:, b] = (u >> (8 * b)) & 0xFF
    return out.tobytes()


def pcm_values(x: np.ndarray, container_bytes: int, valid_bits: int | None = None) -> np.ndarray:
    """What a correct decoder gives for pcm_bytes(x): the quantized values over full scale."""
    bits = 8 * container_bytes
    scale = 2.0 ** (bits - 1)
    q = np.clip(np.round(x * scale), -scale, scale - 1)
    if valid_bits is not None and valid_bits < bits:
        q = np.floor(q / 2 ** (bits - valid_bits)) * 2 ** (bits - valid_bits)
    return q / scale


def interleave(channels: list[np.ndarray]) -> np.ndarray:
    return np.stack(channels, axis=1).reshape(-1)


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
    print(f"{os.path.relpath(path, HERE):32s} {len(data):8d} bytes")


def read_pcm16(path: str) -> np.ndarray:
    if path.endswith(".raw"):
        return np.fromfile(path, dtype="<i2")
    rate, x = wavfile.read(path)
    assert rate == 16000 and x.dtype == np.int16 and x.ndim == 1, path
    return x


def check_with_scipy(path: str, rate: int, expected: np.ndarray) -> None:
    """scipy.io.wavfile reads what was written: same rate, same samples (as scipy scales them)."""
    got_rate, got = wavfile.read(path)
    assert got_rate == rate, (path, got_rate)
    if got.dtype == np.uint8:
        got = (got.astype(np.float64) - 128) / 128
    elif got.dtype.kind == "i":
        got = got.astype(np.float64) / 2.0 ** (8 * got.dtype.itemsize - 1)
    got = got.reshape(expected.shape)
    assert np.max(np.abs(got - expected)) < 1e-6, path


def speech_clip() -> np.ndarray:
    """goforward.raw ("go forward ten meters"), 0.7 s of room tone, cards/001.wav ("ten of clubs"), 0.3 s of room tone."""
    rng = np.random.default_rng(20260101)
    room_tone = lambda seconds: np.round(rng.normal(0, 30, int(seconds * 16000))).astype(np.int16)  # about −61 dBFS
    parts = [read_pcm16(f"{SOURCE}/goforward.raw"), room_tone(0.7), read_pcm16(f"{SOURCE}/cards/001.wav"), room_tone(0.3)]
    return np.concatenate(parts).astype(np.float64) / 32768


def pcm16_of(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768), -32768, 32767) / 32768


def main() -> None:
    os.makedirs(FORMATS, exist_ok=True)
    x = speech_clip()
    frames = x.size

    # the speech clip and its variants
    write(f"{HERE}/speech-16k.wav", wav(fmt_chunk(PCM, 1, 16000, 16, 2), pcm_bytes(x, 2), frames))
    for name, up, down, rate in [("speech-8k", 1, 2, 8000), ("speech-44k1", 441, 160, 44100), ("speech-48k", 3, 1, 48000)]:
        y = np.clip(signal.resample_poly(x, up, down), -1, 1 - 2**-15)
        path = f"{HERE}/{name}.wav"
        write(path, wav(fmt_chunk(PCM, 1, rate, 16, 2), pcm_bytes(y, 2), y.size))
        check_with_scipy(path, rate, pcm16_of(y))
    write(f"{HERE}/speech-f32.wav", wav(fmt_chunk(IEEE_FLOAT, 1, 16000, 32, 4), x.astype("<f4").tobytes(), frames, fact=True))
    check_with_scipy(f"{HERE}/speech-f32.wav", 16000, x.astype(np.float32).astype(np.float64))
    stereo = interleave([x, 0.7 * x])
    info = chunk(b"LIST", b"INFO" + chunk(b"INAM", b"go forward, ten of clubs\0"))
    write(f"{HERE}/speech-stereo.wav", wav(fmt_chunk(PCM, 2, 16000, 16, 2), pcm_bytes(stereo, 2), frames, extra_before_data=info))
    check_with_scipy(f"{HERE}/speech-stereo.wav", 16000, pcm16_of(stereo).reshape(-1, 2))

    # no speech: digital silence, and white noise
    write(f"{HERE}/silence-16k.wav", wav(fmt_chunk(PCM, 1, 16000, 16, 2), bytes(2 * 16000 * 3 // 2), 24000))
    noise = np.random.default_rng(7).normal(0, 0.1, 16000 * 3)  # σ = 0.1: −20 dBFS
    write(f"{HERE}/noise-16k.wav", wav(fmt_chunk(PCM, 1, 16000, 16, 2), pcm_bytes(noise, 2), noise.size))

    # decoder fixtures: 50 ms of a 440 Hz tone plus noise, in every encoding; NAME.f32 holds the mono samples a
    # correct decoder gives (float32, little endian): full-scale division, channels averaged
    t = np.arange(800) / 16000
    tone = 0.6 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(3).normal(0, 1, t.size)
    ch = [tone, -0.5 * tone, 0.25 * tone, 0.9 * np.roll(tone, 7), 0.1 * tone, -tone]  # up to six distinct channels
    mono = lambda values, n: values.reshape(-1, n).mean(axis=1)
    fixtures = []
    for bits in (8, 16, 24, 32):
        c = bits // 8
        fixtures.append((f"pcm{bits}", wav(fmt_chunk(PCM, 1, 16000, bits, c), pcm_bytes(tone, c), 800), pcm_values(tone, c), 16000))
    fixtures.append(("float32", wav(fmt_chunk(IEEE_FLOAT, 1, 16000, 32, 4), tone.astype("<f4").tobytes(), 800, fact=True), tone.astype(np.float32), 16000))
    fixtures.append(("float64", wav(fmt_chunk(IEEE_FLOAT, 1, 16000, 64, 8), tone.astype("<f8").tobytes(), 800, fact=True), tone, 16000))
    s2 = interleave(ch[:2])
    fixtures.append(("pcm16-stereo", wav(fmt_chunk(PCM, 2, 16000, 16, 2), pcm_bytes(s2, 2), 800), mono(pcm_values(s2, 2), 2), 16000))
    s6 = interleave(ch)
    fixtures.append(("pcm24-6ch-extensible", wav(fmt_chunk(PCM, 6, 48000, 24, 3, extensible_of=PCM), pcm_bytes(s6, 3), 800), mono(pcm_values(s6, 3), 6), 48000))
    fixtures.append(("pcm20-in-24-extensible", wav(fmt_chunk(PCM, 1, 16000, 24, 3, extensible_of=PCM, valid_bits=20), pcm_bytes(tone, 3, 20), 800), pcm_values(tone, 3, 20), 16000))
    fixtures.append(("float32-stereo-extensible", wav(fmt_chunk(IEEE_FLOAT, 2, 44100, 32, 4, extensible_of=IEEE_FLOAT), s2.astype("<f4").tobytes(), 800, fact=True), mono(s2.astype(np.float32).astype(np.float64), 2), 44100))
    odd_chunks = chunk(b"JUNK", bytes(27)) + chunk(b"LIST", b"INFO" + chunk(b"ICMT", b"odd sized")) + chunk(b"bext", bytes(5))
    fixtures.append(("pcm16-odd-chunks", wav(fmt_chunk(PCM, 1, 16000, 16, 2), pcm_bytes(tone, 2), 800, extra_before_data=odd_chunks), pcm_values(tone, 2), 16000))
    # G.711 (8 kHz telephony): encoded by Python's audioop from the 16-bit samples, decoded back by audioop
    pcm16 = pcm_bytes(tone, 2)
    for name, tag, encode, decode in [("mulaw", MULAW, audioop.lin2ulaw, audioop.ulaw2lin), ("alaw", ALAW, audioop.lin2alaw, audioop.alaw2lin)]:
        coded = encode(pcm16, 2)
        expected = np.frombuffer(decode(coded, 2), dtype="<i2") / 32768
        fixtures.append((name, wav(fmt_chunk(tag, 1, 8000, 8, 1), coded, 800, fact=True), expected, 8000))

    for name, data, expected, rate in fixtures:
        path = f"{FORMATS}/{name}.wav"
        write(path, data)
        if name not in ("pcm20-in-24-extensible", "mulaw", "alaw"):  # scipy does not read these three
            channels = struct.unpack_from("<H", data, 22)[0]
            if channels == 1:
                check_with_scipy(path, rate, expected)
        np.asarray(expected, dtype="<f4").tofile(f"{FORMATS}/{name}.f32")


if __name__ == "__main__":
    main()
