/**
 * A websocat-style live view of one user's sync socket:
 *
 *   npm run watch -- <token> [http://localhost:8787]
 *
 * Prints every server message with the local time it arrived, and pings every
 * 25 s like the web client does. Ctrl-C to stop.
 */
import WebSocket from "ws";

const [token, base = "http://localhost:8787"] = process.argv.slice(2);
if (!token) {
  console.error("usage: npm run watch -- <token> [base url]   (token: from POST /api/auth/login)");
  process.exit(2);
}
const url = `${base.replace(/^http/, "ws")}/api/sync/ws`;
const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
const stamp = () => new Date().toISOString().slice(11, 23);
ws.on("open", () => console.log(`${stamp()} connected to ${url}`));
ws.on("message", (data) => console.log(`${stamp()} ${data.toString()}`));
ws.on("unexpected-response", (_req, res) => {
  console.error(`${stamp()} upgrade refused: HTTP ${res.statusCode}`);
  process.exit(1);
});
ws.on("close", (code) => {
  console.log(`${stamp()} closed (${code})`);
  process.exit(0);
});
ws.on("error", (err) => console.error(`${stamp()} ${err.message}`));
setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "ping" })), 25_000).unref();
