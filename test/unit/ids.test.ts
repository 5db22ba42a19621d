import { isUuid, newId } from "../../src/common/ids";

describe("newId", () => {
  it("makes RFC 9562 version 7 UUIDs that carry the time they were made", () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(id)).toBe(true);
    const millis = parseInt(id.replace(/-/g, "").slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after);
  });

  it("sorts ids made in later milliseconds after earlier ones", async () => {
    const first = newId();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = newId();
    expect(second > first).toBe(true);
  });

  it("makes no id twice in a burst that spans the random pool many times over", () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newId()));
    expect(ids.size).toBe(20_000);
  });

  it("still accepts version 4 ids made before", () => {
    expect(isUuid("222f0ffb-fd92-416f-8942-cdcfcfea5568")).toBe(true);
    expect(isUuid("not-a-uuid")).toBe(false);
  });
});
