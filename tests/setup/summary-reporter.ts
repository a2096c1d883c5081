// Prints one plain closing line, "vitest: N passed, N failed, N skipped", that
// CI and people can read without knowing vitest's own summary format, and under
// it one "FAILED" line per failed test (file, name, first line of its error).
// When CI_FAILURES names a file, those lines are appended to it too: .ci/run
// prints that file last, so the end of a long CI log says what failed.
import fs from "node:fs";
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

type ErrorLike = { message?: unknown; name?: unknown };

/** The first line of an error's message, shortened to fit one log line. */
function firstLine(errors: ReadonlyArray<ErrorLike> | undefined): string {
  const error = errors?.[0];
  if (!error) return "";
  const text = String(error.message ?? error.name ?? error).split("\n")[0] ?? "";
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<ErrorLike> = [],
  ) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failures: string[] = [];
    for (const module of testModules) {
      const file = path.relative(process.cwd(), module.moduleId);
      const before = failures.length;
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === "passed") passed++;
        else if (result.state === "failed") {
          failed++;
          failures.push(`FAILED ${file} > ${test.fullName}: ${firstLine(result.errors)}`);
        } else skipped++;
      }
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
      // A hook that threw (beforeAll, afterAll) fails its suite or file, not a test.
      for (const suite of [module, ...module.children.allSuites()]) {
        const errors = suite.errors();
        if (errors.length > 0)
          failures.push(`FAILED ${file} (${suite.type}): ${firstLine(errors)}`);
      }
      if (module.state() === "failed" && failures.length === before)
        failures.push(`FAILED ${file}: the file failed`);
    }
    for (const error of unhandledErrors)
      failures.push(`FAILED unhandled error: ${firstLine([error])}`);
    console.log(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    for (const line of failures) console.log(line);
    const digest = process.env.CI_FAILURES;
    if (digest && failures.length > 0) fs.appendFileSync(digest, `${failures.join("\n")}\n`);
  }
}
