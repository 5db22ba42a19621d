import { useRef, useState } from "preact/hooks";
import { consoleFetch } from "../api";
import type { Session } from "../session";

/**
 * The help page's example, as a development-only demo: an order system's checkout form whose card-number field
 * pauses the agent's recording while it has focus. The page sends no API token: the server-side route calls the
 * REST call-recorder API with the order system's own API_USER credentials (hold key "oms-card-field").
 */
export function OmsScreen({ session }: { session: Session }) {
  const [status, setStatus] = useState<string>("");
  // Focus and blur are sent in order: a quick tab through the field must not leave a pause behind.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const cardField = (focused: boolean) => {
    queue.current = queue.current.then(() => send(focused)).catch(() => setStatus("The order system could not reach callvault."));
  };

  const send = async (focused: boolean) => {
    const { status: code, body } = await consoleFetch<{ errors?: { code: string; detail?: string }[] }>("/console/demo/oms/card-field", {
      method: "POST",
      token: session.api.token,
      body: JSON.stringify({ focused }),
    });
    if (code === 204) setStatus(focused ? "Recording paused while the card number is entered." : "Card field left: the order system lifted its pause.");
    else setStatus(body?.errors?.[0]?.code === "no_live_recording" ? "You are not on a call, so there is nothing to pause." : `The order system could not reach callvault (${code}).`);
  };

  return (
    <section aria-labelledby="oms-title">
      <h1 id="oms-title">Demo order form</h1>
      <p class="hint">Development only. The card number field pauses your call recording while it has focus, through the order system's own API credentials.</p>
      <form
        class="oms"
        onSubmit={(event) => {
          event.preventDefault();
          setStatus("Order placed (demo: nothing was charged).");
        }}
      >
        <label for="oms-name">Name on card</label>
        <input id="oms-name" autoComplete="off" />
        <label for="oms-card">Card number</label>
        <input id="oms-card" inputMode="numeric" autoComplete="off" onFocus={() => cardField(true)} onBlur={() => cardField(false)} />
        <label for="oms-expiry">Expiry (MM/YY)</label>
        <input id="oms-expiry" autoComplete="off" />
        <button type="submit">Place order</button>
      </form>
      <p role="status" data-testid="oms-status">
        {status}
      </p>
    </section>
  );
}
