/**
 * A reason (or any free text an audit entry keeps) made only of white space or invisible format characters
 * says nothing: refused with BAD_USER_INPUT on every mutation that takes one, and nothing changes.
 */
import { Role } from "../src/auth/role";
import { visibleText } from "../src/common/reason";
import { codesOf, gql } from "./support/graphql-client";
import { recordTone } from "./support/record-audio";
import { PAUSE, RESUME, Scenario, startCall, startScenarioApp } from "./support/scenario";
import { TestApp } from "./support/test-app";

const INVISIBLE = ["\u200b", " \u200b\u00a0 ", "\ufeff", "\u200e\u200f", "\u2060\u180e", "\u3164", "\u2800", "\t\n\u3000", "\u034f\ufe0f"];
const DELETE = `mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId reason } }`;
const REDACT = `mutation($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { mp3Sha256 } }`;
const CREATE_CUSTOMER = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id name } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id displayName } }`;
const PLACE_HOLD = `mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id } }`;
const RELEASE_HOLD = `mutation($id: ID!, $reason: String!) { releaseLegalHold(holdId: $id, reason: $reason) { id releasedAt } }`;
const RECORDING = `query($id: ID!) { recording(id: $id) { state sha256 } }`;

let t: TestApp;
let s: Scenario;
let recordingId: string;
beforeAll(async () => {
  ({ t, s } = await startScenarioApp());
  const call = await startCall(t, s);
  await recordTone(t, s.apiUser.token, call.callId, 1000);
  await t.app.services.calls.end(s.apiUser.viewer, "test-setup", call.callId);
  recordingId = call.recordingId;
});
afterAll(() => t.close());

describe.each(INVISIBLE.map((reason) => [JSON.stringify(reason), reason]))("the reason %s", (_name, reason) => {
  it("is refused by deleteRecording and redactRecordingSegment, and the recording is unchanged", async () => {
    const before = (await gql(t.url, RECORDING, { id: recordingId }, s.compliance.token)).data?.recording;
    expect(codesOf(await gql(t.url, DELETE, { input: { recordingId, reason } }, s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
    expect(codesOf(await gql(t.url, REDACT, { input: { recordingId, fromSeconds: 0.2, toSeconds: 0.4, reason } }, s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
    expect((await gql(t.url, RECORDING, { id: recordingId }, s.compliance.token)).data?.recording).toEqual(before);
  });

  it("is refused by pauseRecording and resumeRecording, and the recording stays as it was", async () => {
    const live = await startCall(t, s, await t.user([Role.AGENT], "pause-agent"));
    expect(codesOf(await gql(t.url, PAUSE, { input: { recordingId: live.recordingId, reason } }, s.manager.token))).toEqual(["BAD_USER_INPUT"]);
    expect((await t.app.services.recordings.find(live.recordingId))?.state).toBe("RECORDING");
    expect((await gql(t.url, PAUSE, { input: { recordingId: live.recordingId } }, s.manager.token)).errors).toBeUndefined();
    expect(codesOf(await gql(t.url, RESUME, { input: { recordingId: live.recordingId, reason } }, s.manager.token))).toEqual(["BAD_USER_INPUT"]);
    expect((await t.app.services.recordings.find(live.recordingId))?.state).toBe("PAUSED");
    await t.app.services.calls.end(s.apiUser.viewer, "test-setup", live.callId);
  });

  it("is refused when placing and releasing a legal hold, and the hold is unchanged", async () => {
    expect(codesOf(await gql(t.url, PLACE_HOLD, { input: { recordingId, reason } }, s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
    const placed = await gql(t.url, PLACE_HOLD, { input: { recordingId, reason: "litigation", matter: "M-1" } }, s.compliance.token);
    const holdId = placed.data?.placeLegalHold.id as string;
    expect(codesOf(await gql(t.url, RELEASE_HOLD, { id: holdId, reason }, s.compliance.token))).toEqual(["BAD_USER_INPUT"]);
    const released = await gql(t.url, RELEASE_HOLD, { id: holdId, reason: "matter closed" }, s.compliance.token);
    expect(released.data?.releaseLegalHold.releasedAt).toBeTruthy();
  });

  it("is refused as a customer name and a user's display name", async () => {
    expect(codesOf(await gql(t.url, CREATE_CUSTOMER, { input: { name: reason } }, s.apiUser.token))).toEqual(["BAD_USER_INPUT"]);
    const email = `invisible-${Math.random().toString(16).slice(2)}@test.example`;
    expect(codesOf(await gql(t.url, CREATE_USER, { input: { email, displayName: reason, roles: [] } }, s.admin.token))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("visible text", () => {
  it("is kept with the invisible characters around it trimmed, and its inner ones untouched", () => {
    expect(visibleText("\u200b card number read out \u00a0\ufeff")).toBe("card number read out");
    expect(visibleText("a\u200db")).toBe("a\u200db");
    expect(visibleText("👩‍💻")).toBe("👩‍💻");
  });

  it("is what a delete keeps as its reason", async () => {
    const { data } = await gql(t.url, DELETE, { input: { recordingId, reason: "\u200b erasure request\u00a0" } }, s.compliance.token);
    expect(data?.deleteRecording).toEqual({ recordingId, reason: "erasure request" });
  });
});
