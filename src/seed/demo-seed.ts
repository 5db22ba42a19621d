import type { Services } from "../app";
import type { Viewer } from "../auth/viewer";
import { ControlSource } from "../recordings/recording-state";
import { demoCallFrames } from "./demo-audio";
import { DEMO_CUSTOMERS, DEMO_USERS } from "./demo-users";

const SEED_REQUEST = "demo-seed";

/**
 * First-start demo data, created through the services so it is audited like everything else:
 * one user per role, customers with past calls that have real (synthesized) audio to download,
 * and Alice on a live call ready to pause.
 */
export async function seedDemoData(services: Services): Promise<void> {
  const ids = new Map<string, string>();
  for (const user of DEMO_USERS) {
    const created = await services.users.create(undefined, SEED_REQUEST, { ...user, roles: [...user.roles] });
    ids.set(user.email, created.id);
  }
  const telephony = (await services.users.loadViewer(ids.get("telephony@callvault.test")!)) as Viewer;
  const alice = (await services.users.loadViewer(ids.get("alice@callvault.test")!)) as Viewer;
  const customers = [];
  for (const name of DEMO_CUSTOMERS) customers.push(await services.customers.create(telephony, SEED_REQUEST, name));

  for (const [index, customer] of customers.entries()) {
    const agent = index % 2 === 0 ? "alice@callvault.test" : "bob@callvault.test";
    const past = await services.calls.start(telephony, SEED_REQUEST, { customerId: customer.id, agentRef: agent, externalRef: `CA-demo-${index + 1}` });
    if (index === 0) {
      await services.control.pause(alice, SEED_REQUEST, { target: { agentRef: agent }, requestedAt: new Date(), reason: "customer read out a card number", source: ControlSource.AGENT_UI });
      await services.control.resume(alice, SEED_REQUEST, { target: { agentRef: agent }, force: false, source: ControlSource.AGENT_UI });
    }
    const session = await services.sessions.open(past.recording.id);
    for (const frame of demoCallFrames(4 + index * 2)) session.pushFrame(frame);
    await services.sessions.close(session);
    await services.calls.end(telephony, SEED_REQUEST, past.call.id);
  }
  await services.calls.start(telephony, SEED_REQUEST, { customerId: customers[0].id, agentRef: "alice@callvault.test", externalRef: "CA-demo-live" });
}
