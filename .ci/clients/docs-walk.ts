// Swagger UI at /docs, used as a person would, in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser download): sign up over HTTP for a token, open /docs,
// Authorize with the token, expand GET /api/me, Try it out, Execute, and read the answer the page
// shows. Every request the page makes is recorded: one to any other host than the server fails
// the walk (the UI is served from the binary, no CDN).
//
// Usage: node docs-walk.js http://127.0.0.1:PORT OUT_DIR  — one line per step; exit 1 at the first
// mismatch, with a screenshot in OUT_DIR/docs-walk-failure.png.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const base = process.argv[2];
const outDir = process.argv[3];
if (!base || !outDir) {
  console.error("usage: node docs-walk.js BASE_URL OUT_DIR");
  process.exit(2);
}
const origin = new URL(base);

const label = "docs";
let steps = 0;
let page: Page | undefined;
let context: BrowserContext | undefined;
const profile = mkdtempSync(join(tmpdir(), "trellis-docs-walk-"));

function ok(step: string, what: string): void {
  steps += 1;
  console.log(`${label}: ok   ${step.padEnd(9)} ${what}`);
}

class Mismatch extends Error {
  constructor(
    readonly step: string,
    why: string,
  ) {
    super(why);
  }
}

function expect(step: string, cond: boolean, why: string): void {
  if (!cond) throw new Mismatch(step, why);
}

const requests: string[] = [];
const foreign: string[] = [];
const meAuthorizations: string[] = [];

async function main(): Promise<void> {
  const email = `docs-walk-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}@example.com`;
  const signup = await fetch(new URL("/api/register", base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct horse battery", full_name: "Grace Hopper" }),
  });
  const signed: unknown = await signup.json();
  expect("register", signup.status === 201, `status ${signup.status}: ${JSON.stringify(signed)}`);
  const token =
    typeof signed === "object" && signed !== null && "token" in signed && typeof signed.token === "string"
      ? signed.token
      : "";
  expect("register", token.length > 0, `no token in ${JSON.stringify(signed)}`);
  ok("register", `201 over HTTP, ${email}`);

  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 1600 },
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("request", (request) => {
    const url = new URL(request.url());
    requests.push(`${request.method()} ${request.url()}`);
    if (url.protocol === "data:" || url.protocol === "blob:") return;
    if (url.host !== origin.host) foreign.push(`${request.method()} ${request.url()}`);
    if (url.host === origin.host && url.pathname === "/api/me") {
      meAuthorizations.push(request.headers()["authorization"] ?? "");
    }
  });

  const docs = await page.goto(new URL("/docs", base).toString(), { waitUntil: "load" });
  expect("open", docs !== null && docs.status() === 200, `GET /docs answered ${docs?.status()}`);
  await page.locator(".swagger-ui .information-container .title").waitFor();
  const title = (await page.locator(".swagger-ui .information-container .title").innerText()).trim();
  ok("open", `${page.url()} shows "${title.split("\n")[0]}"`);

  await page.locator(".auth-wrapper button.authorize").click();
  const modal = page.locator(".modal-ux");
  await modal.waitFor();
  // The dialog has one form per security scheme (bearer, and the events' ticket): use bearer's.
  const bearer = modal.locator("form").filter({ hasText: "bearer (http, Bearer)" });
  await bearer.locator("input").first().fill(token);
  await bearer.locator(".auth-btn-wrapper button.authorize").click();
  await bearer.locator("button.btn-done").waitFor();
  expect("authorize", (await bearer.getByText("Authorized").count()) > 0, "the dialog does not say Authorized");
  await bearer.locator("button.btn-done").click();
  await modal.waitFor({ state: "detached" });
  ok("authorize", "bearer token entered, Authorized, dialog closed");

  const me = page
    .locator(".opblock.opblock-get")
    .filter({ has: page.locator('.opblock-summary-path[data-path="/api/me"]') });
  expect("expand", (await me.count()) === 1, `${await me.count()} GET /api/me blocks on the page`);
  await me.locator(".opblock-summary").first().click();
  await me.locator("button.try-out__btn").click();
  ok("expand", "GET /api/me expanded, Try it out");

  await me.locator("button.execute").click();
  const live = me.locator(".live-responses-table tbody .response");
  await live.first().waitFor();
  const code = (await live.first().locator(".response-col_status").innerText()).trim();
  const shown = await live.first().locator(".response-col_description").innerText();
  expect("execute", code === "200", `the page shows status ${code}: ${shown.slice(0, 300)}`);
  expect("execute", shown.includes(email), `the page's answer does not contain ${email}: ${shown.slice(0, 300)}`);
  expect(
    "execute",
    meAuthorizations.length > 0 && meAuthorizations.every((a) => a === `Bearer ${token}`),
    `the page sent GET /api/me with Authorization ${JSON.stringify(meAuthorizations)}`,
  );
  ok("execute", `Execute shows 200 with ${email} (sent with the bearer token)`);

  expect("requests", foreign.length === 0, `requests to other hosts than ${origin.host}: ${foreign.join(", ")}`);
  ok("requests", `${requests.length} requests, all to ${origin.host}`);

  console.log(`${label}: PASS ${steps} steps`);
}

async function shutdown(code: number): Promise<never> {
  try {
    await context?.close();
  } catch {
    // already gone
  }
  rmSync(profile, { recursive: true, force: true });
  process.exit(code);
}

main()
  .then(() => shutdown(0))
  .catch(async (e: unknown) => {
    const step = e instanceof Mismatch ? e.step : "error";
    const why = e instanceof Error ? e.message.split("\n").slice(0, 6).join(" | ") : String(e);
    console.log(`${label}: FAIL ${step.padEnd(9)} ${why}`);
    if (page) {
      const shot = join(outDir, "docs-walk-failure.png");
      try {
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`${label}: screenshot ${shot}`);
      } catch (s: unknown) {
        console.log(`${label}: no screenshot: ${s instanceof Error ? s.message : String(s)}`);
      }
    }
    if (requests.length > 0) console.log(`${label}: requests the page made: ${requests.join(", ")}`);
    console.log(`${label}: FAILED at ${step} after ${steps} steps`);
    await shutdown(1);
  });
