import { Role } from "../src/auth/role";
import { startScenarioApp } from "./support/scenario";
import { TwilioStreamClient } from "./support/twilio-stream-client";
it("garbage", async () => {
  const { t } = await startScenarioApp();
  const u = await t.user([Role.API_USER], "x");
  const c = await TwilioStreamClient.connect(t.url, TwilioStreamClient.bearer(u.token));
  for (let i = 0; i < 100; i++) c.send("x".repeat(15 * 1024));
  console.log(await c.closed);
  await t.close();
});
