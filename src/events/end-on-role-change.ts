import type { EventBus } from "./event-bus";

/**
 * Subscriptions authorize once, when they start; a role change ends the user's open ones so nothing keeps
 * flowing under roles they no longer hold. Listens on the user's own key only. Returns a function that stops.
 */
export async function endOnRoleChange(bus: EventBus, userId: string, end: () => void): Promise<() => void> {
  let stop: (() => void) | undefined;
  let ended = false;
  stop = await bus.listen("USER_ROLES_CHANGED", `user:${userId}`, () => {
    ended = true;
    stop?.();
    end();
  });
  if (ended) stop();
  return () => stop?.();
}
