/**
 * Speech segments from per-window speech probabilities, as silero-vad's `get_speech_timestamps` computes them
 * (snakers4/silero-vad, src/silero_vad/utils_vad.py): hysteresis between `threshold` (speech starts) and
 * `negThreshold` (speech may end), a silence must last `minSilenceSamples` to end a segment, segments shorter than
 * `minSpeechSamples` are dropped, a segment longer than `maxSpeechSamples` is split at its longest silence over
 * 98 ms (or cut where it reaches the limit), and finally each segment is padded by `speechPadSamples` on both
 * sides (gaps too short for both pads are shared half and half). Everything is in samples at the model's rate.
 * Checked against silero-vad's own function on the sequences of test/speech-segments-follow-silero-vad.test.ts.
 */

export interface SegmentOptions {
  threshold: number;
  negThreshold: number;
  minSpeechSamples: number;
  minSilenceSamples: number;
  speechPadSamples: number;
  /** Infinity when segments may be of any length. */
  maxSpeechSeconds: number;
}

export interface SegmentGeometry {
  sampleRate: number;
  /** Samples per probability (512 at 16 kHz, 256 at 8 kHz). */
  windowSamples: number;
  /** Samples of audio the probabilities cover (the last window may be partly padding). */
  totalSamples: number;
}

export interface SampleSegment {
  start: number;
  end: number;
}

/** silero-vad's `min_silence_at_max_speech`: the silences a too-long segment may be split at. */
const MIN_SILENCE_AT_MAX_SPEECH_MS = 98;

/**
 * @example
 * speechSegments([0.1, 0.9, 0.9, ...], options, { sampleRate: 16000, windowSamples: 512, totalSamples: 48000 })
 * // [{ start: 32, end: 24480 }, ...]  (samples)
 */
export function speechSegments(
  probabilities: ArrayLike<number>,
  options: SegmentOptions,
  geometry: SegmentGeometry,
): SampleSegment[] {
  return padSegments(rawSegments(probabilities, options, geometry), options.speechPadSamples, geometry.totalSamples);
}

function rawSegments(
  probabilities: ArrayLike<number>,
  options: SegmentOptions,
  geometry: SegmentGeometry,
): SampleSegment[] {
  const { threshold, negThreshold, minSpeechSamples, minSilenceSamples, speechPadSamples } = options;
  const { sampleRate, windowSamples: window, totalSamples } = geometry;
  const maxSpeechSamples = sampleRate * options.maxSpeechSeconds - window - 2 * speechPadSamples;
  const minSilenceAtMaxSpeech = (sampleRate * MIN_SILENCE_AT_MAX_SPEECH_MS) / 1000;

  const segments: SampleSegment[] = [];
  let start: number | undefined; // the open segment's start; undefined when none is open
  let triggered = false;
  let silenceStart = 0; // where the current silence inside a segment began (0: none)
  let silences: { at: number; length: number }[] = []; // silences of the open segment that a split may use

  const close = (end: number) => {
    segments.push({ start: start!, end });
    start = undefined;
    silenceStart = 0;
  };

  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    const at = window * i;
    if (p >= threshold && silenceStart) {
      const length = at - silenceStart;
      if (length > minSilenceAtMaxSpeech) silences.push({ at: silenceStart, length });
      silenceStart = 0;
    }
    if (p >= threshold && !triggered) {
      triggered = true;
      start = at;
      continue;
    }
    if (triggered && at - start! > maxSpeechSamples) {
      if (silences.length > 0) {
        // split at the longest silence; speech goes on from its end
        const longest = silences.reduce((best, s) => (s.length > best.length ? s : best));
        const resume = longest.at + longest.length;
        close(longest.at);
        start = resume;
        silences = silences.filter((s) => s.at > resume);
      } else {
        close(at);
        triggered = false;
        silences = [];
        continue;
      }
    }
    if (p < negThreshold && triggered) {
      if (!silenceStart) silenceStart = at;
      if (at - silenceStart < minSilenceSamples) continue;
      const end = silenceStart;
      if (end - start! > minSpeechSamples) close(end);
      else {
        start = undefined;
        silenceStart = 0;
      }
      triggered = false;
      silences = [];
    }
  }
  if (start !== undefined && totalSamples - start > minSpeechSamples) close(totalSamples);
  return segments;
}

function padSegments(segments: SampleSegment[], pad: number, totalSamples: number): SampleSegment[] {
  segments.forEach((segment, i) => {
    if (i === 0) segment.start = Math.trunc(Math.max(0, segment.start - pad));
    const next = segments[i + 1];
    if (!next) {
      segment.end = Math.trunc(Math.min(totalSamples, segment.end + pad));
      return;
    }
    const gap = next.start - segment.end;
    const share = gap < 2 * pad ? Math.floor(gap / 2) : pad; // too short for both pads: half each
    segment.end = Math.trunc(Math.min(totalSamples, segment.end + share));
    next.start = Math.trunc(Math.max(0, next.start - share));
  });
  return segments;
}
