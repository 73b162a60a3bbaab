/**
 * Bad voice-activity requests on `POST /v1/run/silero-vad` get a clear 4xx, never a 500, and cost nothing; after
 * each one a good request still gets its segments: other content types and WAV encodings not taken are 415,
 * broken WAV files 422 `invalid_media`, audio over the manifest's `preprocess.maxSeconds` 413 `audio_too_long` (from
 * the header, before decoding) and bodies over MAX_REQUEST_BYTES 413, bad options 400, a bad configuration 422 at
 * upload.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { admin, BUNDLED, call, json, repoFile, seedBundled, toBase64, uploadModel } from "./support/worker";

const MODEL = "silero-vad";
const SHORT_LIMIT_MODEL = "silero-vad-2s";

let good: Uint8Array;

const post = (body: BodyInit, contentType: string, query = "", model = MODEL) =>
  call(`/v1/run/${model}${query}`, { method: "POST", headers: { "Content-Type": contentType }, body });
const postJson = (body: unknown) => post(JSON.stringify(body), "application/json");

/** A copy of the good WAV with `change` applied to its bytes. */
const edited = (change: (view: DataView, bytes: Uint8Array) => void): Uint8Array => {
  const copy = good.slice();
  change(new DataView(copy.buffer), copy);
  return copy;
};

interface Case {
  name: string;
  send: () => Promise<Response>;
  status: number;
  code: string;
  message: RegExp;
}

const cases: Case[] = [
  // content types
  {
    name: "audio/mpeg",
    send: () => post(good, "audio/mpeg"),
    status: 415,
    code: "unsupported_media_type",
    message: /'application\/json', 'audio\/wav', 'audio\/x-wav', 'audio\/wave'/,
  },
  {
    name: "no Content-Type",
    send: () => call(`/v1/run/${MODEL}`, { method: "POST", body: good }),
    status: 415,
    code: "unsupported_media_type",
    message: /no Content-Type|text\/plain|octet-stream/,
  },
  // WAV encodings and layouts not taken
  {
    name: "IMA ADPCM",
    send: () =>
      post(
        edited((view) => view.setUint16(20, 0x11, true)),
        "audio/wav",
      ),
    status: 415,
    code: "unsupported_media_type",
    message: /IMA ADPCM is not supported/,
  },
  {
    name: "16-bit float",
    send: () =>
      post(
        edited((view) => view.setUint16(20, 3, true)),
        "audio/wav",
      ),
    status: 415,
    code: "unsupported_media_type",
    message: /16-bit samples in WAV encoding IEEE float/,
  },
  {
    name: "4 kHz audio",
    send: () =>
      post(
        edited((view) => view.setUint32(24, 4000, true)),
        "audio/wav",
      ),
    status: 415,
    code: "unsupported_media_type",
    message: /4000 Hz is not taken; send 8000 to 192000 Hz/,
  },
  {
    name: "384 kHz audio",
    send: () =>
      post(
        edited((view) => view.setUint32(24, 384000, true)),
        "audio/wav",
      ),
    status: 415,
    code: "unsupported_media_type",
    message: /384000 Hz/,
  },
  // broken files
  {
    name: "an MP3 sent as audio/wav",
    send: () => post(Uint8Array.of(0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90), "audio/wav"),
    status: 422,
    code: "invalid_media",
    message: /not a WAV file/,
  },
  {
    name: "an empty body",
    send: () => post(new Uint8Array(0), "audio/wav"),
    status: 422,
    code: "invalid_media",
    message: /0 bytes/,
  },
  {
    name: "a truncated file",
    send: () => post(good.subarray(0, 20_000), "audio/wav"),
    status: 422,
    code: "invalid_media",
    message: /truncated: its 'data' chunk at byte 36 declares 156212 bytes, 19956 are present/,
  },
  {
    name: "a header without samples",
    send: () =>
      post(edited((view) => (view.setUint32(4, 36, true), view.setUint32(40, 0, true))).subarray(0, 44), "audio/wav"),
    status: 422,
    code: "invalid_media",
    message: /no samples/,
  },
  {
    name: "a base64 JSON body that is not a WAV",
    send: () => postJson({ audio: toBase64(new TextEncoder().encode("hello, not a wav")) }),
    status: 422,
    code: "invalid_media",
    message: /not a WAV file/,
  },
  // options
  {
    name: "threshold 1.5",
    send: () => post(good, "audio/wav", "?threshold=1.5"),
    status: 400,
    code: "invalid_request",
    message: /'threshold' \(1\.5\)/,
  },
  {
    name: "a threshold that is not a number",
    send: () => post(good, "audio/wav", "?threshold=high"),
    status: 400,
    code: "invalid_request",
    message: /'threshold' \("high"\)/,
  },
  {
    name: "a fractional min_speech_duration_ms",
    send: () => post(good, "audio/wav", "?min_speech_duration_ms=2.5"),
    status: 400,
    code: "invalid_request",
    message: /min_speech_duration_ms/,
  },
  {
    name: "frames=maybe",
    send: () => post(good, "audio/wav", "?frames=maybe"),
    status: 400,
    code: "invalid_request",
    message: /'frames' \("maybe"\)/,
  },
  {
    name: "an unknown query parameter",
    send: () => post(good, "audio/wav", "?treshold=0.6"),
    status: 400,
    code: "invalid_request",
    message: /unknown query parameter 'treshold'; voice-activity takes threshold, neg_threshold/,
  },
  {
    name: "a repeated query parameter",
    send: () => post(good, "audio/wav", "?threshold=0.6&threshold=0.7"),
    status: 400,
    code: "invalid_request",
    message: /query parameter 'threshold' is given more than once/,
  },
  {
    name: "neg_threshold above threshold",
    send: () => post(good, "audio/wav", "?threshold=0.4&neg_threshold=0.6"),
    status: 400,
    code: "invalid_request",
    message: /neg_threshold \(0\.6\) must not exceed threshold \(0\.4\)/,
  },
  {
    name: "max_speech_duration_s shorter than its pads",
    send: () => post(good, "audio/wav", "?max_speech_duration_s=0.05"),
    status: 400,
    code: "invalid_request",
    message: /max_speech_duration_s \(0\.05\) must exceed/,
  },
  {
    name: "JSON without audio",
    send: () => postJson({ threshold: 0.5 }),
    status: 400,
    code: "invalid_request",
    message: /'audio'/,
  },
  {
    name: "JSON audio that is not base64",
    send: () => postJson({ audio: "not base64!" }),
    status: 400,
    code: "invalid_request",
    message: /audio is not valid base64/,
  },
  {
    name: "JSON audio bytes out of range",
    send: () => postJson({ audio: [82, 73, 70, 300] }),
    status: 400,
    code: "invalid_request",
    message: /'audio\.3': Too big/,
  },
  {
    name: "an unknown JSON field",
    send: () => postJson({ audio: toBase64(good), treshold: 0.5 }),
    status: 400,
    code: "invalid_request",
    message: /treshold/,
  },
  {
    name: "a JSON option of the wrong type",
    send: () => postJson({ audio: toBase64(good), frames: "yes" }),
    status: 400,
    code: "invalid_request",
    message: /'frames'/,
  },
  // length
  {
    name: "audio over the model's maxSeconds (2 s), judged from the header",
    send: () => post(good, "audio/wav", "", SHORT_LIMIT_MODEL),
    status: 413,
    code: "audio_too_long",
    message: /lasts 4\.9 s; model 'silero-vad-2s' takes at most 2 s/,
  },
  {
    name: "a body over MAX_REQUEST_BYTES (4 MiB in tests)",
    send: () => post(new Uint8Array(4 * 1024 * 1024 + 1), "audio/wav"),
    status: 413,
    code: "payload_too_large",
    message: /./,
  },
];

beforeAll(async () => {
  await seedBundled(MODEL);
  good = await repoFile("test/data/vad/speech-16k.wav");
  const manifest = { task: "voice-activity", preprocess: { maxSeconds: 2 } };
  expect(
    (await uploadModel(SHORT_LIMIT_MODEL, await repoFile(BUNDLED[MODEL]!.versions["1"]!.file), { manifest })).status,
  ).toBe(201);
});

describe("each bad request gets its 4xx and the next good request its segments", () => {
  for (const { name, send, status, code, message } of cases) {
    it(`${name}: ${status} ${code}`, async () => {
      const response = await send();
      const body = await json(response);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toMatch(message);
      expect(response.headers.get("X-Units")).toBeNull(); // nothing charged

      const after = await post(good, "audio/wav");
      expect(after.status).toBe(200);
      expect((await json(after)).segments).toHaveLength(2);
    });
  }

  it("a short clip is within the 2 s model's limit", async () => {
    const short = good.slice(0, 44 + 2 * 16000 * 1.9);
    new DataView(short.buffer).setUint32(40, 2 * 16000 * 1.9, true);
    const response = await post(short, "audio/wav", "", SHORT_LIMIT_MODEL);
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Units")).toBe("2");
  });
});

describe("the manifest's voice-activity configuration is checked at upload", () => {
  for (const [what, config] of [
    ["a threshold of 2", { postprocess: { threshold: 2 } }],
    ["an unknown postprocess field", { postprocess: { threshhold: 0.5 } }],
    ["a sample rate Silero has no weights for", { preprocess: { sampleRates: [44100] } }],
    ["a negative maxSeconds", { preprocess: { maxSeconds: -1 } }],
    ["a negThreshold above the threshold", { postprocess: { threshold: 0.5, negThreshold: 0.6 } }],
  ] as const) {
    it(`${what}: 422 invalid_manifest`, async () => {
      const response = await admin("/admin/models/silero-vad-bad-config", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ task: "voice-activity", ...config }),
      });
      expect(response.status).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    });
  }
});
