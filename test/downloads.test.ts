/**
 * Downloads: the createRecordingDownload mutation and GET on the signed link it returns, against the
 * real app. Audio is recorded through the real media WebSocket, so every byte served comes from an
 * encrypted object the ingest path wrote.
 */
import { createHash, randomUUID } from "node:crypto";
import { Role } from "../src/auth/role";
import { DOWNLOAD_SECRET_PURPOSE, DownloadGrant, DownloadLinkSigner } from "../src/downloads/download-link";
import { RecordingState } from "../src/recordings/recording-state";
import { codesOf, gql } from "./support/graphql-client";
import { recordTone } from "./support/record-audio";
import { createScenario, PAUSE, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { startTestApp, TestApp, TestUser } from "./support/test-app";

const CREATE = /* GraphQL */ `
  mutation Download($id: ID!) {
    createRecordingDownload(recordingId: $id) { recordingId url expiresAt fileName contentType sizeBytes }
  }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }
`;
const ASSIGN = /* GraphQL */ `
  mutation Assign($userId: ID!, $roles: [Role!]!) { assignRoles(userId: $userId, roles: $roles) { id roles } }
`;
const REDACT = /* GraphQL */ `
  mutation Redact($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { mp3Sha256 previousMp3Sha256 } }
`;
const AUDIT = /* GraphQL */ `
  query Audit($filter: AuditFilterInput) {
    auditLog(first: 200, filter: $filter) { edges { node { action actorId actorRoles targetType targetId details requestId } } }
  }
`;

interface Download {
  recordingId: string;
  url: string;
  expiresAt: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
}

interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function fetchLink(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Fetched> {
  const response = await fetch(url, { method, headers });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** A refusal is a small JSON body naming the code, and never audio. */
function expectRefusal(response: Fetched, status: number, code: string): void {
  const type = response.headers.get("content-type") ?? "";
  // Audio in a failure message would be unreadable: describe it instead.
  const body = type.startsWith("application/json") ? response.body.toString("utf8") : `${response.body.length} bytes of ${type}`;
  expect({ status: response.status, body }).toEqual({ status, body: JSON.stringify({ error: code }) });
  expect(response.headers.get("content-disposition")).toBeNull();
  expect(response.headers.get("cache-control")).toBe("no-store");
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function issue(t: TestApp, user: TestUser, recordingId: string): Promise<Download> {
  const response = await gql<{ createRecordingDownload: Download }>(t.url, CREATE, { id: recordingId }, user.token);
  expect(response.errors).toBeUndefined();
  return response.data!.createRecordingDownload;
}

/** A call with `ms` of 440 Hz streamed through the media WebSocket, ended and AVAILABLE. */
async function recordedCall(t: TestApp, s: Scenario, ms: number): Promise<{ callId: string; recordingId: string }> {
  const call = await startCall(t, s, await t.user([Role.AGENT], "download-agent"));
  await recordTone(t, s.apiUser.token, call.callId, ms);
  await t.app.services.calls.end(s.apiUser.viewer, "test-setup", call.callId);
  expect((await t.app.services.recordings.find(call.recordingId))?.state).toBe(RecordingState.AVAILABLE);
  return call;
}

async function auditEntries(t: TestApp, s: Scenario, action: string, targetId: string): Promise<Record<string, any>[]> {
  const response = await gql(t.url, AUDIT, { filter: { action, targetId } }, s.compliance.token);
  expect(response.errors).toBeUndefined();
  return response.data!.auditLog.edges.map((edge: { node: Record<string, any> }) => edge.node);
}

/** Signs a link with the app's real signer and secret, for grants the mutation would never issue. */
function signedLink(t: TestApp, grant: DownloadGrant): string {
  const signer = new DownloadLinkSigner(t.app.services.media.deriveSecret(DOWNLOAD_SECRET_PURPOSE));
  return `${new URL(t.url).origin}${signer.pathFor(grant)}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Always a different character at `index`, so the result can never be the genuine text. */
const replaceAt = (text: string, index: number) => text.slice(0, index) + (text[index] === "A" ? "B" : "A") + text.slice(index + 1);
const forgedLink = (link: string) => {
  const url = new URL(link);
  url.searchParams.set("sig", replaceAt(url.searchParams.get("sig")!, 0));
  return url.toString();
};

let t: TestApp;
let s: Scenario;
/** 40 s of audio at 32 kbps: about 160 KB, three 64 KiB storage segments. */
let long: { callId: string; recordingId: string };
let longMp3: Buffer;

beforeAll(async () => {
  // 40 s of audio sent at once: far ahead of the wall clock, which a real gateway never is.
  t = await startTestApp({ operations: { ingest: { clockToleranceMs: 60_000 } } });
  s = await createScenario(t);
  long = await recordedCall(t, s, 40_000);
  longMp3 = await (await t.app.services.media.openAudio(long.recordingId)).reader.readAll();
}, 120_000);
afterAll(() => t.close());

describe("createRecordingDownload", () => {
  it.each([
    ["AGENT", () => s.agent],
    ["TEAM_MANAGER", () => s.manager],
    ["ADMINISTRATOR", () => s.admin],
    ["API_USER", () => s.apiUser],
  ])("is FORBIDDEN to %s", async (_role, user) => {
    const response = await gql(t.url, CREATE, { id: long.recordingId }, user().token);
    expect(codesOf(response)).toEqual(["FORBIDDEN"]);
    expect(response.data).toBeNull();
  });

  it("is FORBIDDEN to a user with no roles and UNAUTHENTICATED without a token", async () => {
    const noRoles = await t.user([], "download-no-roles");
    expect(codesOf(await gql(t.url, CREATE, { id: long.recordingId }, noRoles.token))).toEqual(["FORBIDDEN"]);
    expect(codesOf(await gql(t.url, CREATE, { id: long.recordingId }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("gives a COMPLIANCE_ADMINISTRATOR a signed link to this server with the file's name, type, size and expiry", async () => {
    const before = Date.now();
    const download = await issue(t, s.compliance, long.recordingId);
    const recording = (await t.app.services.recordings.find(long.recordingId))!;
    const url = new URL(download.url);
    expect(url.origin).toBe(new URL(t.url).origin);
    expect(url.pathname).toBe(`/downloads/recordings/${long.recordingId}`);
    expect(download).toMatchObject({ recordingId: long.recordingId, contentType: "audio/mpeg", sizeBytes: recording.sizeBytes });
    expect(download.fileName).toBe(`recording-test-customer-${recording.startedAt.toISOString().slice(0, 10)}-${long.recordingId}.mp3`);
    // Default TTL 300 s, rounded up to a whole second.
    const ttlMs = Date.parse(download.expiresAt) - before;
    expect(ttlMs).toBeGreaterThanOrEqual(300_000);
    expect(ttlMs).toBeLessThanOrEqual(302_000);
  });

  it("refuses recordings that are live, paused, processing or failed with RECORDING_NOT_AVAILABLE, and unknown ones with NOT_FOUND", async () => {
    const live = await startCall(t, s, await t.user([Role.AGENT], "download-live"));
    const paused = await startCall(t, s, await t.user([Role.AGENT], "download-paused"));
    expect((await gql(t.url, PAUSE, { input: { recordingId: paused.recordingId } }, s.apiUser.token)).data?.pauseRecording.state).toBe("PAUSED");
    // Ended with no audio at all: FAILED.
    const failed = await startCall(t, s, await t.user([Role.AGENT], "download-failed"));
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", failed.callId);
    // Ended while its audio is still being written (as by another instance): PROCESSING.
    const processing = await startCall(t, s, await t.user([Role.AGENT], "download-processing"));
    const writer = await t.app.services.media.beginIngest(processing.recordingId);
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", processing.callId);

    const expected: [string, RecordingState][] = [
      [live.recordingId, RecordingState.RECORDING],
      [paused.recordingId, RecordingState.PAUSED],
      [processing.recordingId, RecordingState.PROCESSING],
      [failed.recordingId, RecordingState.FAILED],
    ];
    for (const [recordingId, state] of expected) {
      expect((await t.app.services.recordings.find(recordingId))?.state).toBe(state);
      const response = await gql(t.url, CREATE, { id: recordingId }, s.compliance.token);
      expect({ state, codes: codesOf(response), details: response.errors?.[0].extensions?.state }).toEqual({
        state,
        codes: ["RECORDING_NOT_AVAILABLE"],
        details: state,
      });
    }
    expect(codesOf(await gql(t.url, CREATE, { id: randomUUID() }, s.compliance.token))).toEqual(["NOT_FOUND"]);
    await t.app.services.media.abandonIngest(processing.recordingId, writer);
  });
});

describe("GET on a download link", () => {
  it("streams exactly the stored MP3 as an attachment: its SHA-256 is the recording's", async () => {
    const download = await issue(t, s.compliance, long.recordingId);
    const response = await fetchLink(download.url);
    const recording = (await t.app.services.recordings.find(long.recordingId))!;
    expect(response.status).toBe(200);
    expect(response.body.length).toBeGreaterThan(3 * 64 * 1024 - 40_000);
    expect(response.body.length).toBe(recording.sizeBytes);
    expect(sha256(response.body)).toBe(recording.sha256);
    expect(response.body.equals(longMp3)).toBe(true);
    expect(Object.fromEntries(["content-type", "content-disposition", "accept-ranges", "cache-control", "etag", "content-length"].map((h) => [h, response.headers.get(h)]))).toEqual({
      "content-type": "audio/mpeg",
      "content-disposition": `attachment; filename="${download.fileName}"`,
      "accept-ranges": "bytes",
      "cache-control": "no-store",
      etag: `"${recording.sha256}"`,
      "content-length": String(recording.sizeBytes),
    });
  });

  it("answers HEAD with the same headers and no body", async () => {
    const download = await issue(t, s.compliance, long.recordingId);
    const response = await fetchLink(download.url, { range: "bytes=10-19" }, "HEAD");
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 10-19/${longMp3.length}`);
    expect(response.headers.get("content-length")).toBe("10");
    expect(response.body.length).toBe(0);
  });

  describe("Range", () => {
    let url: string;
    let size: number;
    beforeAll(async () => {
      url = (await issue(t, s.compliance, long.recordingId)).url;
      size = longMp3.length;
    });

    const SEGMENT = 64 * 1024;
    /** [Range header, first byte, last byte], as functions of the file size. */
    const cases: [string, (size: number) => [string, number, number]][] = [
      ["the first byte", () => ["bytes=0-0", 0, 0]],
      ["the first 100 bytes", () => ["bytes=0-99", 0, 99]],
      ["the last byte, by position", (n) => [`bytes=${n - 1}-${n - 1}`, n - 1, n - 1]],
      ["the last byte, as a suffix", (n) => ["bytes=-1", n - 1, n - 1]],
      ["the last 1000 bytes", (n) => ["bytes=-1000", n - 1000, n - 1]],
      ["a suffix longer than the file (the whole file)", (n) => [`bytes=-${n + 10}`, 0, n - 1]],
      ["everything from the middle (open-ended)", (n) => [`bytes=${Math.floor(n / 2)}-`, Math.floor(n / 2), n - 1]],
      ["everything from the second segment on", (n) => [`bytes=${SEGMENT}-`, SEGMENT, n - 1]],
      ["the last byte of the first segment", () => [`bytes=${SEGMENT - 1}-${SEGMENT - 1}`, SEGMENT - 1, SEGMENT - 1]],
      ["the first byte of the second segment", () => [`bytes=${SEGMENT}-${SEGMENT}`, SEGMENT, SEGMENT]],
      ["two bytes straddling the first segment boundary", () => [`bytes=${SEGMENT - 1}-${SEGMENT}`, SEGMENT - 1, SEGMENT]],
      ["a span across two segment boundaries", () => [`bytes=${SEGMENT - 10}-${2 * SEGMENT + 10}`, SEGMENT - 10, 2 * SEGMENT + 10]],
      ["exactly the second segment", () => [`bytes=${SEGMENT}-${2 * SEGMENT - 1}`, SEGMENT, 2 * SEGMENT - 1]],
      ["from the last segment's first byte to the end", (n) => [`bytes=${2 * SEGMENT}-${n - 1}`, 2 * SEGMENT, n - 1]],
      ["an end past the file (clamped to the last byte)", (n) => [`bytes=100-${n + 100_000}`, 100, n - 1]],
      ["the whole file as a range", (n) => [`bytes=0-${n - 1}`, 0, n - 1]],
    ];

    it.each(cases)("returns 206 with exactly the bytes of %s", async (_label, at) => {
      const [header, first, last] = at(size);
      const response = await fetchLink(url, { range: header });
      expect(response.status).toBe(206);
      expect(response.headers.get("content-range")).toBe(`bytes ${first}-${last}/${size}`);
      expect(response.headers.get("content-length")).toBe(String(last - first + 1));
      expect(response.headers.get("content-type")).toBe("audio/mpeg");
      expect(response.body.equals(longMp3.subarray(first, last + 1))).toBe(true);
    });

    it("returns exactly the right bytes for many pseudo-random ranges", async () => {
      let seed = 42;
      const random = (below: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % below;
      };
      for (let i = 0; i < 25; i++) {
        const first = random(size);
        const last = Math.min(size - 1, first + random(90_000));
        const response = await fetchLink(url, { range: `bytes=${first}-${last}` });
        expect({ i, status: response.status, range: response.headers.get("content-range") }).toEqual({ i, status: 206, range: `bytes ${first}-${last}/${size}` });
        expect(response.body.equals(longMp3.subarray(first, last + 1))).toBe(true);
      }
    });

    it.each([
      ["starting at the size", (n: number) => `bytes=${n}-`],
      ["entirely past the end", (n: number) => `bytes=${n + 5}-${n + 10}`],
      ["an empty suffix", () => "bytes=-0"],
    ])("answers a range %s with 416 and Content-Range: bytes */size", async (_label, header) => {
      const response = await fetchLink(url, { range: header(size) });
      expectRefusal(response, 416, "RANGE_NOT_SATISFIABLE");
      expect(response.headers.get("content-range")).toBe(`bytes */${size}`);
    });

    it.each([
      ["several ranges (served whole rather than as multipart)", "bytes=0-9,100-109"],
      ["another unit", "items=0-9"],
      ["garbled syntax", "bytes=abc-def"],
      ["a last byte before the first", "bytes=500-100"],
    ])("serves the whole file (200) for %s", async (_label, header) => {
      const response = await fetchLink(url, { range: header });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-range")).toBeNull();
      expect(response.body.equals(longMp3)).toBe(true);
    });

    it("honours If-Range only when it names the current ETag", async () => {
      const etag = `"${sha256(longMp3)}"`;
      const matching = await fetchLink(url, { range: "bytes=0-9", "if-range": etag });
      expect(matching.status).toBe(206);
      const stale = await fetchLink(url, { range: "bytes=0-9", "if-range": `"${"0".repeat(64)}"` });
      expect(stale.status).toBe(200);
      expect(stale.body.equals(longMp3)).toBe(true);
    });
  });

  describe("refuses links that are not genuine (403 DOWNLOAD_LINK_INVALID)", () => {
    let genuine: URL;
    let other: { recordingId: string };
    let otherCompliance: TestUser;
    beforeAll(async () => {
      genuine = new URL((await issue(t, s.compliance, long.recordingId)).url);
      other = await recordedCall(t, s, 400);
      otherCompliance = await t.user([Role.COMPLIANCE_ADMINISTRATOR], "other-compliance");
    });

    const tampered = (change: (url: URL) => void) => {
      const url = new URL(genuine);
      change(url);
      return url.toString();
    };

    it("the genuine link works", async () => {
      expect((await fetchLink(genuine.toString())).status).toBe(200);
    });

    it.each<[string, (url: URL) => void]>([
      ["a signature altered in the middle", (url) => url.searchParams.set("sig", replaceAt(url.searchParams.get("sig")!, 20))],
      ["a signature altered in its last character", (url) => url.searchParams.set("sig", replaceAt(url.searchParams.get("sig")!, 42))],
      ["a signature of the wrong length", (url) => url.searchParams.set("sig", url.searchParams.get("sig")! + "A")],
      ["no signature", (url) => url.searchParams.delete("sig")],
      ["another recording's id in the path", (url) => (url.pathname = `/downloads/recordings/${other.recordingId}`)],
      ["another user's id", (url) => url.searchParams.set("uid", otherCompliance.id)],
      ["another media generation", (url) => url.searchParams.set("gen", "2")],
      ["a later expiry", (url) => url.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 3600))],
      ["an earlier expiry", (url) => url.searchParams.set("exp", String(nowSeconds() - 60))],
      ["a non-canonical number", (url) => url.searchParams.set("gen", "01")],
      ["a repeated parameter", (url) => url.searchParams.append("uid", otherCompliance.id)],
      ["no query at all", (url) => (url.search = "")],
    ])("%s", async (_label, change) => {
      const response = await fetchLink(tampered(change), { range: "bytes=0-99" });
      expectRefusal(response, 403, "DOWNLOAD_LINK_INVALID");
    });

    it("a link signed with another key", async () => {
      const forger = new DownloadLinkSigner(Buffer.alloc(32, 7));
      const path = forger.pathFor({ recordingId: long.recordingId, userId: s.compliance.id, generation: 1, expiresAtSeconds: nowSeconds() + 300 });
      expectRefusal(await fetchLink(`${new URL(t.url).origin}${path}`), 403, "DOWNLOAD_LINK_INVALID");
    });
  });

  describe("refuses genuine links that no longer apply", () => {
    it("410 DOWNLOAD_LINK_EXPIRED once the link has expired", async () => {
      const url = signedLink(t, { recordingId: long.recordingId, userId: s.compliance.id, generation: 1, expiresAtSeconds: nowSeconds() - 1 });
      expectRefusal(await fetchLink(url), 410, "DOWNLOAD_LINK_EXPIRED");
      expectRefusal(await fetchLink(url, { range: "bytes=0-99" }), 410, "DOWNLOAD_LINK_EXPIRED");
    });

    it("410 DOWNLOAD_LINK_EXPIRED for a link to a generation of the audio that has been replaced", async () => {
      const url = signedLink(t, { recordingId: long.recordingId, userId: s.compliance.id, generation: 2, expiresAtSeconds: nowSeconds() + 300 });
      expectRefusal(await fetchLink(url), 410, "DOWNLOAD_LINK_EXPIRED");
    });

    it("410 DOWNLOAD_LINK_EXPIRED for a link issued before a redaction; a new link serves the redacted audio", async () => {
      const { recordingId } = await recordedCall(t, s, 1000);
      const before = await issue(t, s.compliance, recordingId);
      const original = await fetchLink(before.url);
      expect(original.status).toBe(200);

      const input = { recordingId, fromSeconds: 0.2, toSeconds: 0.4, reason: "card number read out" };
      const redacted = await gql(t.url, REDACT, { input }, s.compliance.token);
      expect(redacted.errors).toBeUndefined();
      expect(redacted.data?.redactRecordingSegment.previousMp3Sha256).toBe(sha256(original.body));

      expectRefusal(await fetchLink(before.url), 410, "DOWNLOAD_LINK_EXPIRED");
      expectRefusal(await fetchLink(before.url, { range: "bytes=0-99" }), 410, "DOWNLOAD_LINK_EXPIRED");
      const after = await fetchLink((await issue(t, s.compliance, recordingId)).url);
      expect(after.status).toBe(200);
      expect(sha256(after.body)).toBe(redacted.data?.redactRecordingSegment.mp3Sha256);
      expect(after.headers.get("etag")).toBe(`"${redacted.data?.redactRecordingSegment.mp3Sha256}"`);
    });

    it("403 FORBIDDEN for a link whose user does not exist", async () => {
      const url = signedLink(t, { recordingId: long.recordingId, userId: randomUUID(), generation: 1, expiresAtSeconds: nowSeconds() + 300 });
      expectRefusal(await fetchLink(url), 403, "FORBIDDEN");
    });

    it("404 NOT_FOUND for a recording that does not exist; 410 RECORDING_NOT_AVAILABLE for a live one", async () => {
      const unknown = signedLink(t, { recordingId: randomUUID(), userId: s.compliance.id, generation: 1, expiresAtSeconds: nowSeconds() + 300 });
      expectRefusal(await fetchLink(unknown), 404, "NOT_FOUND");
      const live = await startCall(t, s, await t.user([Role.AGENT], "download-live-link"));
      const liveLink = signedLink(t, { recordingId: live.recordingId, userId: s.compliance.id, generation: 1, expiresAtSeconds: nowSeconds() + 300 });
      expectRefusal(await fetchLink(liveLink), 410, "RECORDING_NOT_AVAILABLE");
    });

    it("410 RECORDING_NOT_AVAILABLE once the recording is deleted, and no audio is sent", async () => {
      const { recordingId } = await recordedCall(t, s, 400);
      const download = await issue(t, s.compliance, recordingId);
      expect((await fetchLink(download.url)).status).toBe(200);

      const deleted = await gql(t.url, DELETE, { input: { recordingId, reason: "customer asked for erasure" } }, s.compliance.token);
      expect(deleted.errors).toBeUndefined();

      expectRefusal(await fetchLink(download.url), 410, "RECORDING_NOT_AVAILABLE");
      expectRefusal(await fetchLink(download.url, { range: "bytes=0-99" }), 410, "RECORDING_NOT_AVAILABLE");
      const head = await fetchLink(download.url, {}, "HEAD");
      expect([head.status, head.headers.get("content-type")?.split(";")[0]]).toEqual([410, "application/json"]);
      // And no new link is issued for it.
      expect(codesOf(await gql(t.url, CREATE, { id: recordingId }, s.compliance.token))).toEqual(["RECORDING_NOT_AVAILABLE"]);
    });

    it("403 FORBIDDEN once the user loses COMPLIANCE_ADMINISTRATOR, and works again when it is given back (roles are read per request)", async () => {
      const officer = await t.user([Role.COMPLIANCE_ADMINISTRATOR], "demoted-officer");
      const download = await issue(t, officer, long.recordingId);
      expect((await fetchLink(download.url, { range: "bytes=0-9" })).status).toBe(206);

      expect((await gql(t.url, ASSIGN, { userId: officer.id, roles: [Role.ADMINISTRATOR] }, s.admin.token)).errors).toBeUndefined();
      expectRefusal(await fetchLink(download.url), 403, "FORBIDDEN");
      expectRefusal(await fetchLink(download.url, { range: "bytes=0-9" }), 403, "FORBIDDEN");

      expect((await gql(t.url, ASSIGN, { userId: officer.id, roles: [Role.COMPLIANCE_ADMINISTRATOR] }, s.admin.token)).errors).toBeUndefined();
      expect((await fetchLink(download.url, { range: "bytes=0-9" })).status).toBe(206);
    });
  });

  describe("auditing", () => {
    it("audits issuing (without the link itself) and every download served, with range, user and request id; refusals and HEAD serve nothing and are not audited as served", async () => {
      const { recordingId } = await recordedCall(t, s, 400);
      const download = await issue(t, s.compliance, recordingId);

      const issued = await auditEntries(t, s, "DOWNLOAD_URL_ISSUED", recordingId);
      expect(issued).toHaveLength(1);
      expect(issued[0]).toMatchObject({ actorId: s.compliance.id, actorRoles: ["COMPLIANCE_ADMINISTRATOR"], targetType: "RECORDING", targetId: recordingId });
      expect(issued[0].details).toMatchObject({ expiresAt: download.expiresAt, generation: 1, fileName: download.fileName });
      const sig = new URL(download.url).searchParams.get("sig")!;
      expect(JSON.stringify(issued[0])).not.toContain(sig);

      const whole = await fetchLink(download.url, { "x-request-id": "download-whole-1" });
      const part = await fetchLink(download.url, { "x-request-id": "download-part-1", range: "bytes=100-199" });
      expect([whole.status, part.status]).toEqual([200, 206]);
      await fetchLink(download.url, { "x-request-id": "download-head-1" }, "HEAD");
      await fetchLink(download.url, { "x-request-id": "download-416-1", range: `bytes=${whole.body.length}-` });
      expectRefusal(await fetchLink(forgedLink(download.url), { "x-request-id": "download-forged-1" }), 403, "DOWNLOAD_LINK_INVALID");

      const served = await auditEntries(t, s, "DOWNLOAD_SERVED", recordingId);
      expect(served.map((entry) => entry.requestId).sort()).toEqual(["download-part-1", "download-whole-1"]);
      const byRequest = Object.fromEntries(served.map((entry) => [entry.requestId, entry]));
      expect(byRequest["download-whole-1"]).toMatchObject({
        actorId: s.compliance.id,
        actorRoles: ["COMPLIANCE_ADMINISTRATOR"],
        targetType: "RECORDING",
        targetId: recordingId,
        details: { method: "GET", status: 200, range: null, bytes: whole.body.length, sizeBytes: whole.body.length, generation: 1, sha256: sha256(whole.body) },
      });
      expect(byRequest["download-part-1"].details).toMatchObject({ status: 206, range: { start: 100, endInclusive: 199 }, bytes: 100 });

      expect((await gql(t.url, `query { verifyAuditChain { valid } }`, {}, s.compliance.token)).data?.verifyAuditChain.valid).toBe(true);
    });
  });
});

describe("downloads racing a delete", () => {
  it("an unmatched route answers JSON 404 like the rest of the API", async () => {
    const response = await fetch(new URL("/downloads/nothing/here", t.url));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe("NOT_FOUND");
  });

  it("20 downloads racing a delete: each a complete file, a 410 or a transfer broken off; never a 500", async () => {
    const { recordingId } = await recordedCall(t, s, 20_000);
    const link = (await issue(t, s.compliance, recordingId)).url;
    const whole = await fetchLink(link);
    expect(whole.status).toBe(200);

    type Outcome = "complete" | "gone" | "aborted" | string;
    const download = async (): Promise<Outcome> => {
      const response = await fetch(link);
      if (response.status !== 200) return response.status === 410 ? "gone" : `status ${response.status}: ${await response.text()}`;
      try {
        const body = Buffer.from(await response.arrayBuffer());
        return sha256(body) === sha256(whole.body) ? "complete" : `a partial 200 of ${body.length} bytes`;
      } catch {
        return "aborted";
      }
    };
    const downloads = Array.from({ length: 20 }, (_, i) => new Promise((resolve) => setTimeout(resolve, i * 2)).then(download));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const deleted = await gql(t.url, DELETE, { input: { recordingId, reason: "erasure request" } }, s.compliance.token);
    expect(deleted.errors).toBeUndefined();
    const outcomes = await Promise.all(downloads);
    expect(outcomes.filter((outcome) => !["complete", "gone", "aborted"].includes(outcome))).toEqual([]);
    expect(t.logs.filter((line) => /download failed/.test(line))).toEqual([]);
    // Once the delete has committed, nothing more is served.
    expect((await fetch(link)).status).toBe(410);
  });
});

describe("with PUBLIC_URL and a short TTL", () => {
  let short: TestApp;
  let ss: Scenario;
  beforeAll(async () => ({ t: short, s: ss } = await startScenarioApp({ media: { downloadUrlTtlSeconds: 2, publicUrl: "https://calls.example.com" } })));
  afterAll(() => short.close());

  it("links point at PUBLIC_URL, work until they expire and are then refused with 410", async () => {
    const { recordingId } = await recordedCall(short, ss, 400);
    const download = await issue(short, ss.compliance, recordingId);
    expect(download.url.startsWith(`https://calls.example.com/downloads/recordings/${recordingId}?`)).toBe(true);
    // Behind a proxy PUBLIC_URL would reach this server; here we call it directly with the same path and query.
    const local = download.url.replace("https://calls.example.com", new URL(short.url).origin);
    expect((await fetchLink(local)).status).toBe(200);

    const wait = Date.parse(download.expiresAt) - Date.now() + 50;
    expect(wait).toBeLessThanOrEqual(3100);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    expectRefusal(await fetchLink(local), 410, "DOWNLOAD_LINK_EXPIRED");
  });
});
