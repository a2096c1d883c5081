// npm runs a dependency's install scripts only when package.json's
// `allowScripts` covers it (decision 0023). Every installed package with an
// install script must be decided there, so `npm install` shows no warning and a
// future npm that blocks undecided scripts still installs what the app needs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/lib.js";

type PackageJson = { allowScripts?: Record<string, boolean> };

describe("dependency install scripts", () => {
  it("every installed package with an install script is approved or denied in package.json", () => {
    const out = execFileSync("npm", ["install-scripts", "ls"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: "false" },
    });
    expect(out.trim()).toBe("No packages with unreviewed install scripts.");
  });

  it("runs esbuild's (links the platform binary npm already installed) and denies Prisma's engine download", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as PackageJson;
    expect(pkg.allowScripts).toMatchObject({
      esbuild: true,
      "@prisma/engines": false,
      "@prisma/client": false,
    });
  });
});
