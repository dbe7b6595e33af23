"use strict";
// Prints where the time went at the end of a run: the slowest suites and the totals per folder,
// in wall seconds (a suite's runtime) and CPU seconds (including the processes it spawned).
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const SLOWEST = 12;

class TimingReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.jsonFile = options.jsonFile || process.env.MOAT_JEST_TIMING_JSON;
    // Set before the workers start, so they inherit it.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "moat-jest-timing-"));
    process.env.MOAT_JEST_TIMING_DIR = this.dir;
  }

  onRunStart() {
    this.wallStart = Date.now();
  }

  onRunComplete(_contexts, results) {
    const cpuByPath = new Map();
    for (const name of fs.readdirSync(this.dir)) {
      const entry = JSON.parse(fs.readFileSync(path.join(this.dir, name), "utf8"));
      cpuByPath.set(entry.testPath, entry.cpu);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });

    const suites = results.testResults.map((r) => {
      const file = path.relative(this.rootDir, r.testFilePath);
      return {
        file,
        folder: path.dirname(file),
        tests: r.numPassingTests + r.numFailingTests + r.numPendingTests + r.numTodoTests,
        wall: (r.perfStats.end - r.perfStats.start) / 1000,
        cpu: cpuByPath.get(r.testFilePath),
      };
    });
    const wall = (Date.now() - this.wallStart) / 1000;
    // The suites' sum; jest's own scheduling and the workers' idle time are outside it
    // (scripts/npm-test.js times the whole jest process).
    const suiteCpu = sum(suites.map((s) => s.cpu || 0));

    const lines = ["", "Where the time went (seconds; cpu = user+sys of the suite and the processes it spawned):"];
    lines.push(`  ${pad("slowest suites", 52)} ${num("wall")} ${num("cpu")} ${num("tests")}`);
    for (const s of [...suites].sort((a, b) => b.wall - a.wall).slice(0, SLOWEST)) {
      lines.push(`  ${pad(s.file, 52)} ${num(s.wall)} ${num(s.cpu)} ${num(s.tests)}`);
    }
    const folders = new Map();
    for (const s of suites) {
      const f = folders.get(s.folder) || { suites: 0, tests: 0, wall: 0, cpu: 0 };
      f.suites += 1;
      f.tests += s.tests;
      f.wall += s.wall;
      f.cpu += s.cpu || 0;
      folders.set(s.folder, f);
    }
    lines.push(`  ${pad("per folder", 52)} ${num("wall")} ${num("cpu")} ${num("tests")} ${num("suites")}`);
    for (const [folder, f] of [...folders].sort((a, b) => b[1].wall - a[1].wall)) {
      lines.push(`  ${pad(folder, 52)} ${num(f.wall)} ${num(f.cpu)} ${num(f.tests)} ${num(f.suites)}`);
    }
    lines.push(`  ${pad("run", 52)} ${num(wall)} ${num(suiteCpu)} ${num(results.numTotalTests)} ${num(suites.length)}`);
    process.stderr.write(lines.join("\n") + "\n");

    if (this.jsonFile) fs.writeFileSync(this.jsonFile, JSON.stringify({ wall, suites }, null, 2));
  }
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}
function pad(text, width) {
  return text.length > width ? "…" + text.slice(text.length - width + 1) : text.padEnd(width);
}
function num(value) {
  if (typeof value === "string") return value.padStart(6);
  if (value === undefined) return "-".padStart(6);
  return (Number.isInteger(value) ? String(value) : value.toFixed(1)).padStart(6);
}

module.exports = TimingReporter;
