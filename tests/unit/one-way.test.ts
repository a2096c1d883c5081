// "One way to do each thing", checked on the source: a change's records are
// written by one module (app/utils/change.server.ts), never by hand elsewhere;
// domain modules throw DomainErrors (app/utils/domain-error.ts), never HTTP responses.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/lib.js";

/** Every source file under these folders (relative paths). */
function sources(...folders: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name)) out.push(rel);
    }
  };
  for (const folder of folders) if (fs.existsSync(path.join(root, folder))) walk(folder);
  return out;
}

const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const CODE = ["app", "server", "scripts", "emails"];
const WRITE_PATH = path.join("app", "utils", "change.server.ts");

/** The files whose text matches `pattern`. */
const filesMatching = (files: string[], pattern: RegExp) =>
  files.filter((f) => pattern.test(read(f)));

describe("one write path", () => {
  it("has one INSERT INTO AuditEvent and one INSERT INTO OutboxEmail, in change.server.ts", () => {
    for (const table of ["AuditEvent", "OutboxEmail"]) {
      const insert = new RegExp(`insert\\s+(or\\s+\\w+\\s+)?into\\s+["'\`]?${table}\\b`, "gi");
      expect(filesMatching(sources(...CODE), insert), table).toEqual([WRITE_PATH]);
    }
  });

  it("has no Prisma create of audit or outbox rows (they would skip the renderer)", () => {
    expect(
      filesMatching(
        sources(...CODE),
        /\b(auditEvent|outboxEmail)\s*\.\s*(create|createMany|upsert)\b/,
      ),
    ).toEqual([]);
  });

  it("the sniffing test itself sees a hand-written insert", () => {
    const insert = /insert\s+(or\s+\w+\s+)?into\s+["'`]?OutboxEmail\b/i;
    expect(insert.test('sql: `INSERT INTO "OutboxEmail" (id) VALUES (?)`')).toBe(true);
    expect(insert.test("INSERT OR IGNORE INTO OutboxEmail (id)")).toBe(true);
  });
});

describe("one convention for domain errors", () => {
  const models = sources("app/models");

  it("finds the domain modules", () => {
    expect(models).toContain(path.join("app", "models", "order.server.ts"));
  });

  it("no domain module imports errorResponse or the HTTP helpers, or builds a Response", () => {
    expect(filesMatching(models, /\berrorResponse\b/)).toEqual([]);
    expect(filesMatching(models, /from\s+["'](~\/utils|\.\.\/utils)\/http\.server["']/)).toEqual(
      [],
    );
    expect(filesMatching(models, /\bnew\s+Response\b|\bResponse\.json\b/)).toEqual([]);
  });

  it("every error class of a domain module is a DomainError", () => {
    const plain = models.flatMap((f) =>
      [...read(f).matchAll(/class\s+(\w+)\s+extends\s+Error\b/g)].map((m) => `${f}: ${m[1]}`),
    );
    // LedgerError is a bug in the posting code (a 500), never an answer to a request.
    expect(plain).toEqual([path.join("app", "models", "ledger.server.ts") + ": LedgerError"]);
  });
});
