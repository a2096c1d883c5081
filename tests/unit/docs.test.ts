// The README is what a newcomer reads first: it must stand on its own (no
// documents outside the repository), name the Node version, and describe every
// setting the app reads the way the app treats it.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/lib.js";

const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");

/** The rows of the README's configuration table: variable → meaning. */
function configurationTable() {
  const rows = new Map<string, string>();
  for (const line of readme.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 4 || !cells[1]?.startsWith("`")) continue;
    for (const name of cells[1].matchAll(/`([A-Z_]+)`/g)) rows.set(name[1]!, cells[3] ?? "");
  }
  return rows;
}

/** Every environment variable the app, server and start script read. */
function variablesRead() {
  const names = new Set<string>();
  const envServer = read("app/utils/env.server.ts");
  const schema = envServer.slice(envServer.indexOf("z.object({"), envServer.indexOf("});"));
  for (const m of schema.matchAll(/^\s+([A-Z_]+):/gm)) names.add(m[1]!);
  for (const file of [
    "app/utils/startup.server.ts",
    "scripts/start.js",
    "scripts/backup.js",
    "scripts/restore.js",
  ])
    for (const m of read(file).matchAll(/process\.env\.([A-Z_]+)/g)) names.add(m[1]!);
  names.delete("LOG_STARTUP_TIME"); // a test switch, not configuration
  names.delete("INIT_CWD"); // set by `npm run` (the caller's folder), not configuration
  return [...names];
}

describe("README", () => {
  it("links only to files that are in the repository", () => {
    const links = [...readme.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links.filter((l) => !/^[a-z]+:/.test(l)))
      expect(fs.existsSync(path.join(root, link)), link).toBe(true);
    // The design card lives outside the repository: say what the product is instead.
    expect(readme).not.toContain("DESIGN.md");
    expect(fs.existsSync(path.join(root, "docs", "product.md"))).toBe(true);
  });

  it("names the Node.js version package.json requires", () => {
    const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines;
    const minimum = /(\d+\.\d+)/.exec(engines.node)![1]!;
    expect(readme).toContain(`Node.js ${minimum}`);
  });

  it("documents every setting the app reads, and none as reserved or unused", () => {
    const table = configurationTable();
    for (const name of variablesRead()) expect(table.has(name), name).toBe(true);
    for (const [name, meaning] of table) expect(meaning, name).not.toMatch(/reserved/i);
    // Production refuses to start without these; the table must say so.
    for (const name of ["SESSION_SECRET", "DATA_ENCRYPTION_KEY", "PUBLIC_URL"])
      expect(table.get(name), name).toMatch(/required in production/i);
  });

  it("says where to go after signing in", () => {
    expect(readme).toMatch(/localhost:3000\/admin/);
  });
});

describe("operations guide", () => {
  it("its production example sets everything production requires", () => {
    const example = /```sh\n([\s\S]*?)```/.exec(read("docs/operations.md"))![1]!;
    for (const name of [
      "NODE_ENV=production",
      "SESSION_SECRET=",
      "DATA_ENCRYPTION_KEY=",
      "PUBLIC_URL=",
    ])
      expect(example, name).toContain(name);
  });
});
