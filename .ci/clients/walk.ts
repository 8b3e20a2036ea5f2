// The quick start, walked by a TypeScript client generated from the server's own OpenAPI document:
// `openapi-typescript` turns /api/openapi.json into `api.d.ts` (not committed; .ci/walks.sh makes it
// next to a copy of this file) and `openapi-fetch` sends the requests. Everything is typed by the
// document, with no casts: a request body the document types wrongly fails `tsc --strict` here.
//
// Usage: node walk.js http://127.0.0.1:PORT   — one line per step; exit 1 at the first mismatch.
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

const base = process.argv[2];
if (!base) {
  console.error("usage: node walk.js BASE_URL");
  process.exit(2);
}

const label = "ts";
let steps = 0;

function ok(step: string, what: string): void {
  steps += 1;
  console.log(`${label}: ok   ${step.padEnd(8)} ${what}`);
}

function fail(step: string, why: string): never {
  console.log(`${label}: FAIL ${step.padEnd(8)} ${why}`);
  console.log(`${label}: FAILED at ${step} after ${steps} steps`);
  process.exit(1);
}

function expect(step: string, cond: boolean, why: string): void {
  if (!cond) fail(step, why);
}

function status(step: string, response: Response, want: number, body?: unknown): void {
  if (response.status !== want) {
    fail(step, `status ${response.status}, want ${want}: ${JSON.stringify(body)}`);
  }
}

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
const email = `ts-walk-${run}@example.com`;
const password = "correct horse battery";

async function main(): Promise<void> {
  const anonymous = createClient<paths>({ baseUrl: base });

  {
    const { data, error, response } = await anonymous.POST("/api/register", {
      body: { email, password, full_name: "Ada Lovelace" },
    });
    status("register", response, 201, error);
    expect("register", data !== undefined, "no body");
    if (!data) return;
    expect("register", data.user.email === email, `email ${data.user.email}`);
    expect("register", data.user.role === "user", `role ${data.user.role}`);
    expect("register", data.token.length > 0, "empty token");
    ok("register", `201 user ${data.user.id} ${data.user.email}`);
  }

  let token: string;
  let userId: string;
  {
    const { data, error, response } = await anonymous.POST("/api/login", {
      body: { email, password },
    });
    status("login", response, 200, error);
    if (!data) return fail("login", "no body");
    expect("login", data.user.email === email, `email ${data.user.email}`);
    expect("login", data.token.split(".").length === 3, "token is not a JWT");
    token = data.token;
    userId = data.user.id;
    ok("login", `200 token ${token.slice(0, 12)}…`);
  }

  const client = createClient<paths>({
    baseUrl: base,
    headers: { Authorization: `Bearer ${token}` },
  });

  {
    const { data, error, response } = await client.GET("/api/me");
    status("me", response, 200, error);
    if (!data) return fail("me", "no body");
    expect("me", data.user.id === userId, `id ${data.user.id}, want ${userId}`);
    expect("me", data.user.email === email, `email ${data.user.email}`);
    expect("me", data.user.full_name === "Ada Lovelace", `full_name ${data.user.full_name}`);
    ok("me", `200 ${data.user.email} (${data.user.full_name})`);
  }

  let projectId: string;
  {
    const { data, error, response } = await client.POST("/api/projects", {
      body: { name: "Apollo", description: "Landing on the moon", budget: 12500.5 },
    });
    status("create", response, 201, error);
    if (!data) return fail("create", "no body");
    const p = data.project;
    expect("create", p.name === "Apollo", `name ${p.name}`);
    expect("create", p.status === "active", `status ${p.status}`);
    expect("create", p.budget === 12500.5, `budget ${p.budget}`);
    expect("create", p.user_id === userId, `user_id ${p.user_id}`);
    projectId = p.id;
    ok("create", `201 project ${p.id} ${p.name} ${p.status} budget ${p.budget}`);
  }

  {
    const { data, error, response } = await client.GET("/api/projects", {
      params: { query: { page: 1, limit: 20 } },
    });
    status("list", response, 200, error);
    if (!data) return fail("list", "no body");
    expect("list", data.total === 1, `total ${data.total}`);
    expect("list", data.page === 1 && data.limit === 20, `page ${data.page} limit ${data.limit}`);
    expect("list", data.totalPages === 1, `totalPages ${data.totalPages}`);
    const first = data.data[0];
    expect("list", first !== undefined && first.id === projectId, `data ${JSON.stringify(data.data)}`);
    ok("list", `200 total ${data.total}, first ${first?.name}`);
  }

  {
    // The old service's own quick start: PUT with only the field that changes.
    const { data, error, response } = await client.PUT("/api/projects/{id}", {
      params: { path: { id: projectId } },
      body: { status: "completed" },
    });
    status("put", response, 200, error);
    if (!data) return fail("put", "no body");
    const p = data.project;
    expect("put", p.status === "completed", `status ${p.status}`);
    expect("put", p.name === "Apollo", `name changed to ${p.name}`);
    expect("put", p.budget === 12500.5, `budget changed to ${p.budget}`);
    ok("put", `200 status ${p.status}, name and budget kept`);
  }

  {
    // null clears.
    const { data, error, response } = await client.PATCH("/api/projects/{id}", {
      params: { path: { id: projectId } },
      body: { budget: null },
    });
    status("patch", response, 200, error);
    if (!data) return fail("patch", "no body");
    const p = data.project;
    expect("patch", p.budget === null, `budget ${p.budget}, want null`);
    expect("patch", p.status === "completed", `status changed to ${p.status}`);
    ok("patch", `200 budget ${p.budget}, status ${p.status}`);
  }

  {
    const { error, response } = await client.DELETE("/api/projects/{id}", {
      params: { path: { id: projectId } },
    });
    status("delete", response, 204, error);
    const gone = await client.GET("/api/projects/{id}", { params: { path: { id: projectId } } });
    status("delete", gone.response, 404, gone.data);
    expect("delete", gone.error?.error === "Project not found", `error ${gone.error?.error}`);
    ok("delete", "204, then GET 404 Project not found");
  }

  {
    const { data, error, response } = await client.POST("/api/projects", { body: { name: "" } });
    status("invalid", response, 400, data);
    if (!error) return fail("invalid", "no error body");
    const details = error.details ?? [];
    expect("invalid", error.error === "Validation failed", `error ${error.error}`);
    expect("invalid", details.some((d) => d.startsWith("name:")), `details ${JSON.stringify(details)}`);
    expect("invalid", typeof error.request_id === "string" && error.request_id.length > 0, "no request_id");
    ok("invalid", `400 ${error.error}: ${details.join("; ")}`);
  }

  console.log(`${label}: PASS ${steps} steps`);
}

main().catch((e: unknown) => {
  console.log(`${label}: FAIL         ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
