import { codesOf, gql } from "./support/graphql-client";
import { availableRecording, newCustomer } from "./support/compliance-fixtures";
import { startScenarioApp, Scenario } from "./support/scenario";
import type { TestApp } from "./support/test-app";

/** Legal holds through the real API: they block delete and redaction, are audited, listed and shown; release lets both proceed. */

let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  ({ t, s } = await startScenarioApp());
});
afterAll(() => t.close());

const PLACE = /* GraphQL */ `
  mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { id scope recordingId customerId reason matter placedById releasedAt } }
`;
const RELEASE = /* GraphQL */ `
  mutation($holdId: ID!, $reason: String!) { releaseLegalHold(holdId: $holdId, reason: $reason) { id releasedAt releasedById releaseReason } }
`;
const DELETE = /* GraphQL */ `
  mutation($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId } }
`;
const REDACT = /* GraphQL */ `
  mutation($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { mp3Sha256 } }
`;
const HOLDS = /* GraphQL */ `
  query($recordingId: ID, $customerId: ID, $includeReleased: Boolean) {
    legalHolds(recordingId: $recordingId, customerId: $customerId, includeReleased: $includeReleased) { id scope releasedAt }
  }
`;
const RECORDING = /* GraphQL */ `
  query($id: ID!) { recording(id: $id) { id state legalHolds { id scope matter } } }
`;
const TIMELINE = /* GraphQL */ `
  query($customerId: ID!) { customerTimeline(customerId: $customerId, first: 20) { edges { node { id recording { id legalHolds { id } } } } } }
`;

const place = (input: Record<string, unknown>, token = s.compliance.token) => gql(t.url, PLACE, { input }, token);
const release = (holdId: string, reason = "matter closed") => gql(t.url, RELEASE, { holdId, reason }, s.compliance.token);
const del = (recordingId: string) => gql(t.url, DELETE, { input: { recordingId, reason: "customer asked" } }, s.compliance.token);
const redact = (recordingId: string) => gql(t.url, REDACT, { input: { recordingId, fromSeconds: 0.05, toSeconds: 0.1, reason: "card number" } }, s.compliance.token);
const auditActions = async (targetId: string) =>
  (await t.app.services.audit.list(200, undefined, { targetId })).entries.map((entry) => entry.action).reverse();

describe("a hold on one recording", () => {
  it("refuses delete and redaction with LEGAL_HOLD naming the hold; releasing it lets both proceed", async () => {
    const { recordingId } = await availableRecording(t, s);
    const placed = await place({ recordingId, reason: "litigation", matter: "CASE-42" });
    expect(placed.errors).toBeUndefined();
    const hold = placed.data!.placeLegalHold;
    expect(hold).toMatchObject({ scope: "RECORDING", recordingId, customerId: s.customerId, reason: "litigation", matter: "CASE-42", placedById: s.compliance.id, releasedAt: null });

    const refusedDelete = await del(recordingId);
    expect(codesOf(refusedDelete)).toEqual(["LEGAL_HOLD"]);
    expect(refusedDelete.errors![0].extensions).toMatchObject({ holdId: hold.id, matter: "CASE-42", scope: "RECORDING" });
    const refusedRedaction = await redact(recordingId);
    expect(codesOf(refusedRedaction)).toEqual(["LEGAL_HOLD"]);
    expect(refusedRedaction.errors![0].extensions).toMatchObject({ holdId: hold.id });
    expect((await t.app.services.recordings.find(recordingId))?.state).toBe("AVAILABLE");

    const released = await release(hold.id);
    expect(released.errors).toBeUndefined();
    expect(released.data!.releaseLegalHold).toMatchObject({ id: hold.id, releasedById: s.compliance.id, releaseReason: "matter closed" });
    expect((await redact(recordingId)).errors).toBeUndefined();
    expect((await del(recordingId)).errors).toBeUndefined();
    expect(await auditActions(recordingId)).toEqual(["LEGAL_HOLD_PLACED", "LEGAL_HOLD_RELEASED", "RECORDING_REDACTED", "RECORDING_DELETED"]);
  });

  it("releasing a released hold changes nothing", async () => {
    const { recordingId } = await availableRecording(t, s);
    const hold = (await place({ recordingId, reason: "audit request" })).data!.placeLegalHold;
    const first = (await release(hold.id, "first")).data!.releaseLegalHold;
    const second = await release(hold.id, "second");
    expect(second.errors).toBeUndefined();
    expect(second.data!.releaseLegalHold).toEqual(first);
    expect(await auditActions(recordingId)).toEqual(["LEGAL_HOLD_PLACED", "LEGAL_HOLD_RELEASED"]);
  });
});

describe("a hold on a customer", () => {
  it("keeps every recording of the customer, including ones made after the hold, and no other customer's", async () => {
    const customerId = await newCustomer(t, s);
    const before = await availableRecording(t, s, { customerId });
    const hold = (await place({ customerId, reason: "regulator inquiry", matter: "REG-7" })).data!.placeLegalHold;
    expect(hold).toMatchObject({ scope: "CUSTOMER", recordingId: null, customerId });
    const after = await availableRecording(t, s, { customerId });
    const elsewhere = await availableRecording(t, s);

    for (const { recordingId } of [before, after]) {
      const refused = await del(recordingId);
      expect(codesOf(refused)).toEqual(["LEGAL_HOLD"]);
      expect(refused.errors![0].extensions).toMatchObject({ holdId: hold.id, scope: "CUSTOMER" });
      expect(codesOf(await redact(recordingId))).toEqual(["LEGAL_HOLD"]);
    }
    expect((await del(elsewhere.recordingId)).errors).toBeUndefined();

    await release(hold.id);
    expect((await del(before.recordingId)).errors).toBeUndefined();
    expect((await del(after.recordingId)).errors).toBeUndefined();
  });
});

describe("holds are listed and shown on the recording and the timeline", () => {
  it("lists active holds covering a recording (its own and its customer's), released ones on request", async () => {
    const customerId = await newCustomer(t, s);
    const { recordingId } = await availableRecording(t, s, { customerId });
    const own = (await place({ recordingId, reason: "own" })).data!.placeLegalHold;
    const customerWide = (await place({ customerId, reason: "customer-wide" })).data!.placeLegalHold;

    const listed = await gql(t.url, HOLDS, { recordingId }, s.manager.token);
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.legalHolds.map((h: { id: string }) => h.id).sort()).toEqual([own.id, customerWide.id].sort());

    const shown = await gql(t.url, RECORDING, { id: recordingId }, s.compliance.token);
    expect(shown.data!.recording.legalHolds.map((h: { id: string }) => h.id)).toEqual([own.id, customerWide.id]);
    const timeline = await gql(t.url, TIMELINE, { customerId }, s.compliance.token);
    expect(timeline.data!.customerTimeline.edges[0].node.recording.legalHolds).toHaveLength(2);

    await release(own.id);
    expect((await gql(t.url, HOLDS, { recordingId }, s.compliance.token)).data!.legalHolds.map((h: { id: string }) => h.id)).toEqual([customerWide.id]);
    const all = await gql(t.url, HOLDS, { customerId, includeReleased: true }, s.compliance.token);
    expect(all.data!.legalHolds).toHaveLength(2);
    expect((await gql(t.url, RECORDING, { id: recordingId }, s.compliance.token)).data!.recording.legalHolds).toEqual([{ id: customerWide.id, scope: "CUSTOMER", matter: null }]);
  });

  it("hides holds from an agent reading their own recording (FORBIDDEN on that field only)", async () => {
    const { recordingId } = await availableRecording(t, s, { agent: s.agent });
    const response = await gql(t.url, RECORDING, { id: recordingId }, s.agent.token);
    expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["FORBIDDEN", ["recording", "legalHolds"]]]);
    expect(response.data!.recording).toMatchObject({ id: recordingId, state: "AVAILABLE", legalHolds: null });
  });
});

describe("bad input changes nothing", () => {
  it.each([
    ["neither recordingId nor customerId", () => ({ reason: "x" }), "BAD_USER_INPUT"],
    ["both recordingId and customerId", () => ({ recordingId: "r", customerId: s.customerId, reason: "x" }), "BAD_USER_INPUT"],
    ["an empty reason", () => ({ customerId: s.customerId, reason: "   " }), "BAD_USER_INPUT"],
    ["an unknown recording", () => ({ recordingId: "00000000-0000-0000-0000-000000000000", reason: "x" }), "NOT_FOUND"],
    ["an unknown customer", () => ({ customerId: "00000000-0000-0000-0000-000000000000", reason: "x" }), "NOT_FOUND"],
  ])("refuses %s", async (_label, input, code) => {
    const positionBefore = (await t.app.services.audit.list(1, undefined, {})).entries[0].position;
    const holdsBefore = await t.app.services.dataSource.query("SELECT COUNT(*) AS n FROM legal_holds");
    expect(codesOf(await place(input()))).toEqual([code]);
    expect((await t.app.services.audit.list(1, undefined, {})).entries[0].position).toBe(positionBefore);
    expect(await t.app.services.dataSource.query("SELECT COUNT(*) AS n FROM legal_holds")).toEqual(holdsBefore);
  });

  it("refuses a hold on a deleted recording, and a release without a reason", async () => {
    const { recordingId } = await availableRecording(t, s);
    await del(recordingId);
    expect(codesOf(await place({ recordingId, reason: "too late" }))).toEqual(["RECORDING_NOT_AVAILABLE"]);
    const { recordingId: other } = await availableRecording(t, s);
    const hold = (await place({ recordingId: other, reason: "keep" })).data!.placeLegalHold;
    expect(codesOf(await release(hold.id, " "))).toEqual(["BAD_USER_INPUT"]);
    expect(codesOf(await release("00000000-0000-0000-0000-000000000000"))).toEqual(["NOT_FOUND"]);
    expect((await gql(t.url, HOLDS, { recordingId: other }, s.compliance.token)).data!.legalHolds).toHaveLength(1);
  });

  it("only a Compliance Administrator places or releases holds", async () => {
    for (const user of [s.manager, s.admin, s.agent, s.apiUser]) expect(codesOf(await place({ customerId: s.customerId, reason: "x" }, user.token))).toEqual(["FORBIDDEN"]);
  });
});
