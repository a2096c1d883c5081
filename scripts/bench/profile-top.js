// `node scripts/bench/profile-top.js FILE.cpuprofile [N]`: where a V8 CPU profile
// (`node --cpu-prof`, e.g. BENCH_EVENING_PROFILE=DIR of the evening section)
// spent its time: the top N functions by self time, and self time by package
// (node_modules/<name>, the app's build, Node's internals).
import fs from "node:fs";

const [file, top = "25"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/bench/profile-top.js FILE.cpuprofile [N]");
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
// timeDeltas[i] is the time before sample i.
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function packageOf(url) {
  if (!url) return "(native / V8)";
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith("node:")) return "node: internals";
  if (url.includes("/build/")) return "the app (build/)";
  return url;
}

const byFunction = new Map();
const byPackage = new Map();
for (const [id, us] of selfUs) {
  const { callFrame: f } = byId.get(id);
  const where = f.url
    ? `${f.url.replace(/^file:\/\/.*?node_modules\//, "")}:${f.lineNumber + 1}`
    : "";
  const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const pkg = packageOf(f.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}
const rows = (map, n) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, us]) =>
        `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`,
    )
    .join("\n");
console.log(`${file}: ${(total / 1e6).toFixed(1)} s of samples\n\nSelf time by function:`);
console.log(rows(byFunction, Number(top)));
console.log("\nSelf time by package:");
console.log(rows(byPackage, 15));
