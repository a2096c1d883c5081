// Before each test file: the app's logs (in-process apps, and app processes the
// file spawns: tests/helpers/app-process.ts) go to one file named after the test
// file, in this run's log folder, which the global teardown searches.
import path from "node:path";
import { expect, inject } from "vitest";
import { root } from "../../scripts/lib.js";

const testPath = expect.getState().testPath ?? `unknown-${process.pid}`;
const name = path.relative(root, testPath).replace(/[^A-Za-z0-9._-]+/g, "_");
process.env.LOG_FILE = path.join(inject("logDir"), `${name}.log`);
