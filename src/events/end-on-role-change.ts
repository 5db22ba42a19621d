import type { EventBus } from "./event-bus";

/**
 * Subscriptions authorize once, when they start; a role change ends the user's open ones so nothing keeps
 * flowing under roles they no longer hold. Returns a function that stops watching.
 */
export async function endOnRoleChange(bus: EventBus, userId: string, end: () => void): Promise<() => void> {
  const changes = await bus.subscribe("USER_ROLES_CHANGED");
  void (async () => {
    for await (const change of changes) {
      if (change.userId === userId) {
        end();
        break;
      }
    }
  })();
  return () => void changes.return?.();
}
