// The /media attacker, run as its own process so its sending does not share the server's event loop:
//   node junk-sockets.mjs <wsUrl> <token> <sockets> <durationMs> [callId,callId,…]
// Every socket sends as fast as its turn in the event loop allows and reconnects when closed, until the duration is up.
// Sockets 0..n-1 of the call ids stream "media" whose timestamps jump 4.9 s per frame; the rest send garbage.
// Prints one JSON line: connections made and close codes seen.
import WebSocket from "ws";

const [url, token, socketCount, durationMs, callList] = process.argv.slice(2);
const callIds = callList ? callList.split(",") : [];
const deadline = Date.now() + Number(durationMs);
const closeCodes = {};

let connections = 0;
let refusedUpgrades = 0;
const garbage = "x".repeat(7 * 1024);
const payload = Buffer.alloc(160, 0xff).toString("base64");

function run(index) {
  if (Date.now() >= deadline) return Promise.resolve();
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    connections++;
    let timer;
    let stamp = 0;
    const callId = callIds[index];
    const pump = () => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (Date.now() >= deadline) return socket.terminate();
      // A few messages per turn: the attacker's own loop keeps serving every socket (and reading close frames).
      for (let burst = 0; burst < 8 && socket.bufferedAmount < 256 * 1024; burst++) {
        if (callId) {
          stamp += 4900;
          socket.send(JSON.stringify({ event: "media", streamSid: "MZjunk", media: { track: "inbound", chunk: "1", timestamp: String(stamp), payload } }));
        } else {
          socket.send(index % 2 === 0 ? garbage : JSON.stringify({ event: "nonsense", n: Math.random() }));
        }
      }
      // A full buffer means the server stopped reading: wait a little instead of spinning the CPU we share with it.
      timer = socket.bufferedAmount >= 256 * 1024 ? setTimeout(pump, 10) : setImmediate(pump);
    };
    socket.on("open", () => {
      if (callId) socket.send(JSON.stringify({ event: "start", streamSid: "MZjunk", start: { callSid: "CAjunk", customParameters: { callId } } }));
      pump();
    });
    socket.on("unexpected-response", () => refusedUpgrades++);
    socket.on("error", () => undefined);
    socket.on("close", (code) => {
      clearImmediate(timer);
      clearTimeout(timer);
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      resolve();
    });
  }).then(() => run(index));
}

await Promise.all(Array.from({ length: Number(socketCount) }, (_, index) => run(index)));
console.log(JSON.stringify({ connections, refusedUpgrades, closeCodes }));
process.exit(0);
