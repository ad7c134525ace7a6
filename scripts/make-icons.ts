/**
 * Renders the PWA icons in web/public/icons from web/public/favicon.svg with
 * Chromium (playwright-core; scripts/chromium.ts finds it). Run after changing the logo:
 *
 *   node scripts/make-icons.ts
 *
 * "any" icons are the logo as is; "maskable" ones put it inside the safe
 * zone (the inner 80 %) on a full-bleed background, as Android crops them.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const svg = readFileSync(path.join(ROOT, "web/public/favicon.svg"), "utf8");
const out = (name: string) => path.join(ROOT, "web/public/icons", name);

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const render = async (file: string, size: number, maskable: boolean) => {
    await page.setViewportSize({ width: size, height: size });
    const logo = maskable ? size * 0.7 : size;
    await page.setContent(
      `<body style="margin:0;display:grid;place-items:center;width:${size}px;height:${size}px;background:${maskable ? "#4f46e5" : "transparent"}">` +
        svg.replace("<svg ", `<svg width="${logo}" height="${logo}" `) +
        "</body>",
    );
    await page.screenshot({ path: out(file), omitBackground: !maskable });
  };
  await render("icon-192.png", 192, false);
  await render("icon-512.png", 512, false);
  await render("maskable-512.png", 512, true);
  await render("apple-touch-icon.png", 180, true);
} finally {
  await browser.close();
}
