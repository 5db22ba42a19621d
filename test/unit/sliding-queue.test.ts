import { SlidingQueue } from "../../src/events/sliding-queue";

describe("SlidingQueue", () => {
  it("keeps the newest items when a consumer falls behind instead of throwing", async () => {
    const queue = new SlidingQueue<number>(3);
    for (let i = 1; i <= 2000; i++) queue.push(i);
    expect(queue.dropped).toBe(1997);
    expect((await queue.next()).value).toBe(1998);
    expect((await queue.next()).value).toBe(1999);
    expect((await queue.next()).value).toBe(2000);
  });

  it("ends pending reads and calls onClose once when returned", async () => {
    let closed = 0;
    const queue = new SlidingQueue<number>(3, () => closed++);
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });
});
