import { VerifiedTokenCache } from "../../src/auth/verified-token-cache";

const token = { subject: "user-1", issuedAt: 1_000, expiresAt: 1_600 };
const at = (seconds: number) => seconds * 1000;

describe("VerifiedTokenCache", () => {
  it("answers for a token it verified, while its lifetime lasts", () => {
    const cache = new VerifiedTokenCache(10, 60_000);
    cache.set("t", token, at(1_010));
    expect(cache.get("t", at(1_020), 5, 3_600)?.subject).toBe("user-1");
    expect(cache.get("other", at(1_020), 5, 3_600)).toBeUndefined();
  });

  it("forgets a token once it has expired (beyond the clock tolerance)", () => {
    const cache = new VerifiedTokenCache(10, 10_000_000);
    cache.set("t", token, at(1_010));
    expect(cache.get("t", at(1_604), 5, 3_600)).toBeDefined();
    expect(cache.get("t", at(1_606), 5, 3_600)).toBeUndefined();
    // Gone for good: a later call with an earlier clock does not bring it back.
    expect(cache.get("t", at(1_100), 5, 3_600)).toBeUndefined();
  });

  it("forgets a token older than the maximum age", () => {
    const cache = new VerifiedTokenCache(10, 10_000_000);
    cache.set("t", { ...token, expiresAt: 10_000 }, at(1_010));
    expect(cache.get("t", at(1_000 + 100 + 5), 5, 100)).toBeDefined();
    expect(cache.get("t", at(1_000 + 100 + 6), 5, 100)).toBeUndefined();
  });

  it("trusts an entry only for a while after it was checked, so a revoked signing key stops working", () => {
    const cache = new VerifiedTokenCache(10, 60_000);
    cache.set("t", token, at(1_010));
    expect(cache.get("t", at(1_070), 5, 3_600)).toBeDefined();
    expect(cache.get("t", at(1_071), 5, 3_600)).toBeUndefined();
  });

  it("holds at most its capacity, dropping the oldest", () => {
    const cache = new VerifiedTokenCache(2, 60_000);
    cache.set("a", token, at(1_010));
    cache.set("b", token, at(1_010));
    cache.set("c", token, at(1_010));
    expect(cache.get("a", at(1_011), 5, 3_600)).toBeUndefined();
    expect(cache.get("b", at(1_011), 5, 3_600)).toBeDefined();
    expect(cache.get("c", at(1_011), 5, 3_600)).toBeDefined();
  });
});
