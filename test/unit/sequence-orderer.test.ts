import { SequenceOrderer } from "../../src/events/sequence-orderer";

const event = (recordingId: string, sequence: number) => ({ recordingId, sequence });

describe("SequenceOrderer", () => {
  it("reorders, drops duplicates and stale events, per recording", () => {
    const seen: string[] = [];
    const orderer = new SequenceOrderer(1000, (e) => seen.push(`${e.recordingId}:${e.sequence}`));
    orderer.seed("a", 3);
    orderer.accept(event("a", 3));
    orderer.accept(event("a", 5));
    orderer.accept(event("b", 1));
    orderer.accept(event("a", 4));
    orderer.accept(event("a", 4));
    orderer.close();
    expect(seen).toEqual(["b:1", "a:4", "a:5"]);
  });

  it("skips a gap that is never filled after the wait", async () => {
    const seen: number[] = [];
    const orderer = new SequenceOrderer(20, (e) => seen.push(e.sequence));
    orderer.seed("a", 1);
    orderer.accept(event("a", 3));
    orderer.accept(event("a", 4));
    expect(seen).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(seen).toEqual([3, 4]);
    orderer.close();
  });
});
