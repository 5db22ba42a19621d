/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core against the real server
 * (port 0, fresh database with the demo seed). Each "Must hold" of the console issue is shown here, with an axe
 * scan of every screen and a screenshot of it into docs/.
 *
 * Runs once per CI run: on the MariaDB pass (skipped under TEST_DATABASE=sqlite; the console only talks to the API,
 * whose behaviour on SQLite the rest of the suite covers).
 */
import fs from "node:fs";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { Role } from "../../src/auth/role";
import { ControlSource } from "../../src/recordings/recording-state";
import { gql } from "../support/graphql-client";
import { launchChromium, screenshot, seriousAxeViolations } from "./support/browser";
import { ConsoleServer } from "./support/console-server";

const describeInBrowser = process.env.TEST_DATABASE === "sqlite" ? describe.skip : describe;
jest.setTimeout(60_000);

const ALICE = "alice@callvault.test";
const OMS = "oms@callvault.test";
const COMPLIANCE = "compliance@callvault.test";
const ADMIN = "admin@callvault.test";
const MANAGER = "manager@callvault.test";
const WITHIN_1S = { timeout: 1000 };

let server: ConsoleServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, acceptDownloads: true, reducedMotion: "reduce" });
  contexts.push(context);
  return context.newPage();
}

/** Signs in through the development-only picker ("Sign in as a demo user"). */
async function signIn(email: string, screen?: string): Promise<Page> {
  const page = await newPage();
  await page.goto(server.origin + "/" + (screen ? `#/${screen}` : ""));
  const picker = page.getByRole("region", { name: "Sign in as a demo user" });
  const user = (await server.services.users.getByReference(email))!;
  await picker.getByRole("button", { name: user.displayName, exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return page;
}

async function expectNoSeriousAxeViolations(page: Page): Promise<void> {
  expect(await seriousAxeViolations(page)).toEqual([]);
}

// These run in the page; the test project is compiled without the DOM library, hence globalThis.
const IS_FOCUSED = (el: unknown) => el === (globalThis as any).document.activeElement;
/** Focus moves when the component has rendered: wait for it (bounded) rather than read it once. */
async function expectFocused(target: Locator): Promise<void> {
  for (let i = 0; i < 40 && !(await target.evaluate(IS_FOCUSED)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(await target.evaluate(IS_FOCUSED)).toBe(true);
}
const BACKGROUND = (el: unknown) => (globalThis as any).getComputedStyle(el).backgroundColor as string;

const indicator = (page: Page) => page.getByTestId("record-indicator");

async function expectIndicator(page: Page, state: "RECORDING" | "PAUSED", options = WITHIN_1S): Promise<void> {
  const locator = indicator(page);
  await locator.and(page.locator(`[data-state="${state}"]`)).waitFor(options);
  const text = await locator.innerText();
  const background = await locator.evaluate(BACKGROUND);
  if (state === "RECORDING") {
    expect(text).toBe("Recording");
    expect(background).toBe("rgb(176, 0, 32)");
  } else {
    expect(text).toBe("Recording Paused");
    expect(background).toBe("rgb(0, 0, 0)");
    await page.getByTestId("paused-banner").waitFor(options);
  }
}

async function restCallRecorder(email: string, body: { recording: boolean }, holdKey: string): Promise<number> {
  const response = await fetch(`${server.origin}/api/v1/agents/${encodeURIComponent(email)}/call-recorder`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${await server.tokenFor(OMS)}`, "content-type": "application/json", "x-hold-key": holdKey },
    body: JSON.stringify(body),
  });
  return response.status;
}

beforeAll(async () => {
  if (process.env.TEST_DATABASE === "sqlite") return;
  [server, browser] = await Promise.all([ConsoleServer.start(), launchChromium()]);
});
afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
});

describeInBrowser("the web console in Chromium", () => {
  it("serves the whole console from the service itself, under a strict Content-Security-Policy", async () => {
    const page = await newPage();
    const outside: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(server.origin) && !request.url().startsWith("data:")) outside.push(request.url());
    });
    const response = await page.goto(server.origin + "/");
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'self'");
    await page.getByRole("heading", { name: "Sign in to the callvault console" }).waitFor();
    await page.getByRole("heading", { name: "Sign in as a demo user" }).waitFor();
    await screenshot(page, "sign-in");
    await expectNoSeriousAxeViolations(page);
    expect(outside).toEqual([]);
  });

  it("signs in with a bearer token kept for the tab only", async () => {
    const page = await newPage();
    await page.goto(server.origin + "/");
    await page.getByLabel("Bearer token").fill(await server.tokenFor(ALICE));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expectIndicator(page, "RECORDING", { timeout: 5000 });
    expect(await page.evaluate("[sessionStorage.length, localStorage.length]")).toEqual([1, 0]);
    // A new tab of the same browser starts signed out.
    const other = await page.context().newPage();
    await other.goto(server.origin + "/");
    await other.getByRole("heading", { name: "Sign in to the callvault console" }).waitFor();
  });

  describe("the agent's Voice Control bar", () => {
    let agent: Page;
    beforeAll(async () => {
      agent = await signIn(ALICE);
      await expectIndicator(agent, "RECORDING", { timeout: 5000 });
    });

    it("is red 'Recording', turns black 'Recording Paused' within 1 s of a click, and back on the second click", async () => {
      await screenshot(agent, "agent-recording");
      await expectNoSeriousAxeViolations(agent);
      expect(await indicator(agent).getAttribute("aria-pressed")).toBe("false");
      await indicator(agent).click();
      await expectIndicator(agent, "PAUSED");
      expect(await indicator(agent).getAttribute("aria-pressed")).toBe("true");
      await screenshot(agent, "agent-paused");
      await expectNoSeriousAxeViolations(agent);
      await indicator(agent).click();
      await expectIndicator(agent, "RECORDING");
      expect(await indicator(agent).getAttribute("aria-pressed")).toBe("false");
    });

    it("toggles from the keyboard alone: Tab to the indicator, Space pauses, Enter resumes", async () => {
      await agent.locator("body").focus();
      for (let i = 0; i < 20 && !(await indicator(agent).evaluate(IS_FOCUSED)); i++) await agent.keyboard.press("Tab");
      expect(await indicator(agent).evaluate(IS_FOCUSED)).toBe(true);
      await agent.keyboard.press("Space");
      await expectIndicator(agent, "PAUSED");
      await agent.keyboard.press("Enter");
      await expectIndicator(agent, "RECORDING");
    });

    it("turns black within 1 s when the REST API pauses, and back when it resumes", async () => {
      expect(await restCallRecorder(ALICE, { recording: false }, "rest-call-recorder")).toBe(204);
      await expectIndicator(agent, "PAUSED");
      expect(await restCallRecorder(ALICE, { recording: true }, "rest-call-recorder")).toBe(204);
      await expectIndicator(agent, "RECORDING");
    });

    it("turns black while the demo OMS card field (another browser context) has focus; the agent's own resume leaves the OMS hold", async () => {
      const oms = await signIn(ALICE, "oms");
      const card = oms.getByLabel("Card number");
      await card.focus();
      await expectIndicator(agent, "PAUSED");
      await agent.getByText("Paused by the order system").waitFor(WITHIN_1S);
      await screenshot(oms, "oms-form");
      await expectNoSeriousAxeViolations(oms);

      // The agent pauses too, then resumes: only the agent's hold goes, the order system's keeps it black.
      await indicator(agent).click();
      await agent.locator('[data-testid="record-indicator"][aria-pressed="true"]').waitFor(WITHIN_1S);
      await indicator(agent).click();
      await agent.locator('[data-testid="record-indicator"][aria-pressed="false"]').waitFor(WITHIN_1S);
      await expectIndicator(agent, "PAUSED");
      await agent.waitForTimeout(300);
      await expectIndicator(agent, "PAUSED");

      await oms.getByLabel("Expiry (MM/YY)").focus();
      await expectIndicator(agent, "RECORDING");
      const holds = await gql(server.graphqlUrl, `query { agentRecordingStatus(agentId: "${ALICE}") { state recording { activeHolds { holdKey } } } }`, {}, await server.tokenFor(ALICE));
      expect(holds.data?.agentRecordingStatus).toEqual({ state: "RECORDING", recording: { activeHolds: [] } });
    });

    it("shows 'reconnecting' while the server restarts, then the true state from the snapshot, never a stale 'Recording'", async () => {
      await expectIndicator(agent, "RECORDING");
      await server.stop();
      await agent.getByTestId("connection-status").getByText("Reconnecting…").waitFor({ timeout: 5000 });
      expect(await indicator(agent).count()).toBe(0);
      // While the page is cut off, the call is paused elsewhere: after reconnecting the page must show that.
      await server.whileStopped(async (services) => {
        const oms = (await services.users.loadViewer((await services.users.getByReference(OMS))!.id))!;
        await services.control.pause(oms, "browser-test", { target: { agentRef: ALICE }, holdKey: "restart-test", source: ControlSource.API, requestedAt: new Date() });
      });
      await server.restart();
      await expectIndicator(agent, "PAUSED", { timeout: 10_000 });
      expect(await restCallRecorder(ALICE, { recording: true }, "restart-test")).toBe(204);
      await expectIndicator(agent, "RECORDING");
    });

    it("says so when the agent is on no call", async () => {
      const bob = await signIn("bob@callvault.test");
      await bob.getByTestId("no-call").waitFor({ timeout: 5000 });
      expect(await bob.getByTestId("no-call").innerText()).toContain("No call");
    });
  });

  describe("who sees what", () => {
    it("an agent sees no compliance or admin screen and cannot reach one by URL", async () => {
      const agent = await signIn(ALICE);
      const nav = agent.getByRole("navigation", { name: "Screens" });
      expect(await nav.getByRole("link").allInnerTexts()).toEqual(["Voice Control", "Demo order form"]);
      for (const screen of ["timeline", "audit", "admin", "floor"]) {
        await agent.goto(`${server.origin}/#/${screen}`);
        await agent.getByRole("alert").getByText("This screen is not available with your roles.").waitFor();
        expect(await agent.getByRole("heading", { level: 1 }).count()).toBe(1);
        expect(await agent.getByRole("searchbox").count()).toBe(0);
        expect(await agent.getByRole("table").count()).toBe(0);
      }
    });

    it("an administrator who self-assigns Compliance Administrator (keyboard only) sees the compliance screens appear without a reload", async () => {
      const admin = await signIn(ADMIN, "admin");
      const nav = admin.getByRole("navigation", { name: "Screens" });
      await admin.getByRole("heading", { name: "Users and roles" }).waitFor();
      expect(await nav.getByRole("link").allInnerTexts()).toEqual(["Users and roles"]);
      await admin.evaluate("window.notReloaded = true");
      await screenshot(admin, "admin");
      await expectNoSeriousAxeViolations(admin);

      const mine = admin.getByRole("group", { name: /Ada Admin \(you\)/ });
      const checkbox = mine.getByRole("checkbox", { name: "Compliance Administrator" });
      await focusByTab(admin, checkbox);
      await admin.keyboard.press("Space");
      await tabTo(admin, mine.getByRole("button", { name: /Save roles/ }));
      await admin.keyboard.press("Enter");
      await nav.getByRole("link", { name: "Conversation Timeline" }).waitFor({ timeout: 5000 });
      expect(await nav.getByRole("link").allInnerTexts()).toEqual(["Conversation Timeline", "Audit log", "Users and roles"]);
      expect(await admin.evaluate("window.notReloaded")).toBe(true);
      await nav.getByRole("link", { name: "Audit log" }).click();
      await admin.getByRole("heading", { name: "Audit log" }).waitFor();
      await admin.getByRole("cell", { name: "ROLES_CHANGED" }).first().waitFor();
    });

    it("an administrator creates a user and issues an API token that works with HTTP Basic on the REST API", async () => {
      const admin = await signIn(ADMIN, "admin");
      await admin.getByLabel("E-mail").fill("new-oms@callvault.test");
      await admin.getByLabel("Display name").fill("New OMS");
      const create = admin.locator("form.create-user");
      await create.getByRole("checkbox", { name: "Agent" }).uncheck();
      await create.getByRole("checkbox", { name: "API user" }).check();
      await admin.getByRole("button", { name: "Create user" }).click();
      const group = admin.getByRole("group", { name: /New OMS/ });
      await group.getByRole("button", { name: /Issue API token/ }).click();
      const token = await admin.getByTestId("issued-token").innerText();
      const response = await fetch(`${server.origin}/api/v1/agents/${ALICE}/call-recorder`, {
        headers: { authorization: `Basic ${Buffer.from(`new-oms@callvault.test:${token}`).toString("base64")}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ recording: true });
    });
  });

  describe("the team manager's floor", () => {
    it("shows every agent live, more than one socket's worth of them, and force-resumes a paused one", async () => {
      // The server allows 20 operations per socket: a floor of 25 agents must spread over sockets.
      for (let i = 0; i < 23; i++) {
        await server.services.users.create(undefined, "browser-test", { email: `floor-${i}@callvault.test`, displayName: `Floor Agent ${i}`, roles: [Role.AGENT] });
      }
      const manager = await signIn(MANAGER, "floor");
      await manager.getByTestId("floor-floor-22@callvault.test").getByText("No call").waitFor({ timeout: 5000 });
      expect(await manager.locator("tbody tr").count()).toBe(25);
      expect(await manager.locator("tbody .chip", { hasText: "…" }).count()).toBe(0);
      const alice = manager.getByTestId(`floor-${ALICE}`);
      await alice.locator('[data-state="RECORDING"]').waitFor({ timeout: 5000 });
      await manager.getByTestId("floor-bob@callvault.test").getByText("No call").waitFor();
      expect(await restCallRecorder(ALICE, { recording: false }, "oms-card-field")).toBe(204);
      await alice.locator('[data-state="PAUSED"]').waitFor(WITHIN_1S);
      await alice.getByText("the order system").waitFor();
      await screenshot(manager, "floor");
      await expectNoSeriousAxeViolations(manager);
      await alice.getByRole("button", { name: /Force resume/ }).click();
      await alice.locator('[data-state="RECORDING"]').waitFor(WITHIN_1S);
    });
  });

  describe("the compliance Conversation Timeline", () => {
    async function openTimeline(page: Page, customer: string): Promise<Locator> {
      await page.getByRole("searchbox", { name: "Customer name" }).fill(customer.split(" ")[0]);
      await page.getByRole("button", { name: "Find customer" }).click();
      await page.getByRole("navigation", { name: "Customers" }).getByRole("button", { name: customer }).click();
      const entries = page.getByTestId("timeline-entry");
      await entries.first().waitFor({ timeout: 5000 });
      return entries;
    }

    it("downloads a recording: the browser saves the server's file name with the MP3 bytes the API serves", async () => {
      const page = await signIn(COMPLIANCE, "timeline");
      const entries = await openTimeline(page, "Alan Turing");
      await screenshot(page, "timeline");
      await expectNoSeriousAxeViolations(page);
      const entry = entries.first();
      const recordingId = (await entry.getAttribute("data-recording-id"))!;
      await entry.getByRole("button", { name: /Recording options/ }).click();
      await expectNoSeriousAxeViolations(page);
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("menuitem", { name: "Download Recording" }).click()]);
      const saved = fs.readFileSync((await download.path())!);

      const token = await server.tokenFor(COMPLIANCE);
      const link = await gql(server.graphqlUrl, `mutation($id: ID!) { createRecordingDownload(recordingId: $id) { url fileName } }`, { id: recordingId }, token);
      const { url, fileName } = link.data?.createRecordingDownload as { url: string; fileName: string };
      const served = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(download.suggestedFilename()).toBe(fileName);
      expect(fileName).toMatch(/\.mp3$/);
      expect(saved.length).toBeGreaterThan(1000);
      expect(saved.equals(served)).toBe(true);
    });

    it("deletes with the keyboard alone: 'Recording has been deleted' in this and a second open timeline, and no Download any more", async () => {
      const page = await signIn(COMPLIANCE, "timeline");
      const second = await signIn(MANAGER, "timeline");
      const entries = await openTimeline(page, "Katherine Johnson");
      const others = await openTimeline(second, "Katherine Johnson");
      const recordingId = (await entries.first().getAttribute("data-recording-id"))!;
      const entry = page.locator(`[data-recording-id="${recordingId}"]`);
      const otherEntry = second.locator(`[data-recording-id="${recordingId}"]`);
      expect(await others.count()).toBeGreaterThan(0);

      const kebab = entry.getByRole("button", { name: /Recording options/ });
      await focusByTab(page, kebab);
      await page.keyboard.press("Enter");
      await expectFocused(page.getByRole("menuitem", { name: "Download Recording" }));
      await page.keyboard.press("ArrowUp");
      await expectFocused(page.getByRole("menuitem", { name: "Delete Recording" }));
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: "Delete Recording" });
      await dialog.waitFor();
      // The modal takes focus: Tab stays inside it.
      await tabTo(page, dialog.getByLabel("Reason"));
      await page.keyboard.type("card number read out in full");
      await screenshot(page, "delete-dialog");
      await expectNoSeriousAxeViolations(page);
      await tabTo(page, dialog.getByRole("button", { name: "Yes, delete" }));
      await page.keyboard.press("Enter");

      await entry.getByText("Recording has been deleted").waitFor({ timeout: 2000 });
      await otherEntry.getByText("Recording has been deleted").waitFor({ timeout: 2000 });
      await entry.getByText(/Deleted by Cora Compliance on .+ Reason: card number read out in full/).waitFor();
      await otherEntry.getByText(/Reason: card number read out in full/).waitFor();
      expect(await entry.getByRole("button", { name: /Recording options/ }).count()).toBe(0);
      expect(await otherEntry.getByRole("button", { name: /Recording options/ }).count()).toBe(0);
      await screenshot(page, "timeline-deleted");
    });

    it("pages through a customer's calls newest first with the cursor API", async () => {
      const telephony = (await server.services.users.loadViewer((await server.services.users.getByReference("telephony@callvault.test"))!.id))!;
      const customer = await server.services.customers.create(telephony, "browser-test", "Paging Customer");
      for (let i = 0; i < 7; i++) {
        const { call } = await server.services.calls.start(telephony, "browser-test", { customerId: customer.id, agentRef: "bob@callvault.test" });
        await server.services.calls.end(telephony, "browser-test", call.id);
      }
      const page = await signIn(COMPLIANCE, "timeline");
      const entries = await openTimeline(page, "Paging Customer");
      expect(await entries.count()).toBe(5);
      await page.getByRole("button", { name: "Load older calls" }).click();
      await entries.nth(6).waitFor();
      expect(await entries.count()).toBe(7);
      expect(await page.getByRole("button", { name: "Load older calls" }).count()).toBe(0);
      const timeline = await gql(server.graphqlUrl, `query($c: ID!) { customerTimeline(customerId: $c, first: 10) { edges { node { recording { id } } } } }`, { c: customer.id }, await server.tokenFor(COMPLIANCE));
      const newestFirst = (timeline.data?.customerTimeline.edges as { node: { recording: { id: string } } }[]).map((e) => e.node.recording.id);
      expect(await entries.evaluateAll((items) => items.map((item) => (item as any).getAttribute("data-recording-id")))).toEqual(newestFirst);
      await entries.first().getByText("Agent: Bob Agent").waitFor();
    });

    it("redacts a span from the menu", async () => {
      const page = await signIn(COMPLIANCE, "timeline");
      const entries = await openTimeline(page, "Alan Turing");
      await entries.first().getByRole("button", { name: /Recording options/ }).click();
      await page.getByRole("menuitem", { name: "Redact a span" }).click();
      const dialog = page.getByRole("dialog", { name: "Redact a span" });
      await dialog.getByLabel("From (seconds)").fill("0.5");
      await dialog.getByLabel("To (seconds)").fill("1.5");
      await dialog.getByLabel("Reason").fill("date of birth");
      await dialog.getByRole("button", { name: "Redact" }).click();
      await page.getByText(/Silenced 0\.50 s to 1\.50 s/).waitFor({ timeout: 10_000 });
    });

    it("reads the audit log and verifies the chain", async () => {
      const page = await signIn(COMPLIANCE, "audit");
      await page.getByRole("cell", { name: "RECORDING_REDACTED" }).first().waitFor({ timeout: 5000 });
      await page.getByRole("button", { name: "Verify the audit chain" }).click();
      await page.getByTestId("chain-verification").getByText(/The chain is intact: \d+ entries verified\./).waitFor({ timeout: 5000 });
      await screenshot(page, "audit");
      await expectNoSeriousAxeViolations(page);
    });
  });
});

/** Presses Tab from the top of the page until `target` has focus (keyboard-only operation). */
async function focusByTab(page: Page, target: Locator, limit = 60): Promise<void> {
  await page.evaluate("document.activeElement?.blur()");
  await tabTo(page, target, limit);
}

/** Presses Tab from wherever the focus is until `target` has it. */
async function tabTo(page: Page, target: Locator, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate(IS_FOCUSED)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`could not reach ${target} with Tab`);
}
