/**
 * The e2e project's global setup: find (and, the first time, unpack) the
 * browser before any test starts, so a machine without one gets a single line
 * saying why and how to fix it — never 40 failing tests, never a silent skip.
 */
import { NoBrowserError, resolveChromium } from "../../scripts/chromium.ts";

export default async function setup() {
  try {
    const found = await resolveChromium();
    console.log(`[e2e] Chromium: ${found.executablePath} (${found.source})`);
  } catch (err) {
    if (!(err instanceof NoBrowserError)) throw err;
    const oneLine = new Error(err.message);
    oneLine.stack = err.message; // the message is the whole story: no stack under it
    throw oneLine;
  }
}
