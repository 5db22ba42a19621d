import type { Viewer } from "../../src/auth/viewer";
import { MediaStreamAdmission } from "../../src/ingest/media-stream-admission";

const gateway = (userId: string) => ({ viewer: { userId, email: `${userId}@test`, roles: new Set() } as unknown as Viewer, via: "bearer-token" as const });
const stream = () => ({ shutdown: async () => undefined });

describe("media stream admission", () => {
  it("caps streams per user and per instance, and frees a place when a stream ends", () => {
    const admission = new MediaStreamAdmission({ maxStreams: 3, maxStreamsPerUser: 2 });
    const [a1, a2, a3] = [admission.admit(gateway("a"), stream()), admission.admit(gateway("a"), stream()), admission.admit(gateway("a"), stream())];
    expect([a1.admitted, a2.admitted]).toEqual([true, true]);
    expect(a3).toMatchObject({ admitted: false, code: 1008 });
    expect(admission.admit(gateway("b"), stream()).admitted).toBe(true);
    expect(admission.admit(gateway("c"), stream())).toMatchObject({ admitted: false, code: 1013 });
    if (a1.admitted) a1.release();
    expect(admission.admit(gateway("c"), stream()).admitted).toBe(true);
  });

  it("slows down a user who reopens streams in a loop: the quota's worth of new streams per 10 s", () => {
    let now = 0;
    const admission = new MediaStreamAdmission({ maxStreams: 100, maxStreamsPerUser: 4 }, () => now);
    for (let i = 0; i < 4; i++) {
      const admitted = admission.admit(gateway("loop"), stream());
      expect(admitted.admitted).toBe(true);
      if (admitted.admitted) admitted.release();
    }
    expect(admission.admit(gateway("loop"), stream())).toMatchObject({ admitted: false, code: 1008, reason: "new media streams are opened too fast for this API user" });
    now += 2500; // 10 s / 4 streams: one new stream per 2.5 s
    expect(admission.admit(gateway("loop"), stream()).admitted).toBe(true);
    expect(admission.admit(gateway("loop"), stream()).admitted).toBe(false);
  });

  it("admits nothing once shutting down, and closes with 1001", async () => {
    const admission = new MediaStreamAdmission({ maxStreams: 10, maxStreamsPerUser: 10 });
    await admission.shutdown();
    expect(admission.admit(gateway("a"), stream())).toMatchObject({ admitted: false, code: 1001 });
  });
});
