#!/usr/bin/env node
"use strict";
/**
 * `npm test`: the type check, lint, the format check and jest, started together (each alone
 * leaves a core idle while it waits on one file or one child process), then the wall and CPU
 * seconds of each stage. Fails when any stage fails; every stage runs to the end, so one run
 * shows all the problems. The static checks keep caches under node_modules/.cache (a clean clone
 * has none and checks everything); jest's output streams, the others print when they end.
 *
 * Extra arguments go to jest: `npm test -- test/review`.
 */
const { spawn } = require("node:child_process");
const { createHash } = require("node:crypto");
const { mkdirSync } = require("node:fs");
const { join, resolve } = require("node:path");

const ROOT = resolve(__dirname, "..", "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
// One cache per checkout: worktrees that share node_modules must not overwrite each other's.
const CACHE = join(ROOT, "node_modules", ".cache", "moat-test", createHash("sha1").update(ROOT).digest("hex").slice(0, 12));
mkdirSync(CACHE, { recursive: true });

const STAGES = [
  {
    name: "tsc --noEmit",
    command: [join(BIN, "tsc"), "--noEmit", "-p", "tsconfig.json", "--incremental", "--tsBuildInfoFile", join(CACHE, "tsc.tsbuildinfo")],
  },
  {
    name: "eslint",
    command: [join(BIN, "eslint"), "--cache", "--cache-strategy", "content", "--cache-location", join(CACHE, "eslint"), "."],
  },
  {
    name: "prettier --check",
    command: [join(BIN, "prettier"), "--check", "--cache", "--cache-strategy", "content", "--cache-location", join(CACHE, "prettier"), "."],
  },
  { name: "jest", command: [join(BIN, "jest"), ...process.argv.slice(2)], stream: true },
];

/** Runs a command under sh, whose `times` (on fd 3) reports the user and system CPU of the command and its children. */
function runStage(stage) {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn("sh", ["-c", '"$@"; status=$?; times >&3; exit $status', "sh", ...stage.command], {
      cwd: ROOT,
      stdio: ["ignore", stage.stream ? "inherit" : "pipe", stage.stream ? "inherit" : "pipe", "pipe"],
    });
    const output = [];
    if (!stage.stream) {
      child.stdout.on("data", (chunk) => output.push(chunk));
      child.stderr.on("data", (chunk) => output.push(chunk));
    }
    let times = "";
    child.stdio[3].on("data", (chunk) => (times += chunk));
    child.on("close", (code, signal) => {
      // The second line of `times` is the children's user and system time: "0m12.34s 0m1.20s".
      const seconds = [...times.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      const cpu = seconds.length >= 4 ? seconds[2] + seconds[3] : undefined;
      done({ stage, code: code ?? 1, signal, output: Buffer.concat(output).toString(), wall: (Date.now() - started) / 1000, cpu });
    });
  });
}

async function main() {
  const started = Date.now();
  const pending = STAGES.map((stage) =>
    runStage(stage).then((result) => {
      if (!stage.stream) {
        const verdict = result.code === 0 ? "passed" : `FAILED (exit ${result.code})`;
        process.stderr.write(`\n── ${stage.name} ${verdict}\n${result.output.trimEnd()}\n`.replace(/\n+$/, "\n"));
      }
      return result;
    }),
  );
  const results = await Promise.all(pending);
  const wall = (Date.now() - started) / 1000;
  const rows = results.map((r) => [
    r.stage.name,
    r.wall.toFixed(1),
    r.cpu === undefined ? "-" : r.cpu.toFixed(1),
    r.code === 0 ? "ok" : "FAILED",
  ]);
  const cpu = results.reduce((sum, r) => sum + (r.cpu ?? 0), 0);
  rows.push(["npm test (stages run together)", wall.toFixed(1), cpu.toFixed(1), results.every((r) => r.code === 0) ? "ok" : "FAILED"]);
  const lines = [
    "",
    "npm test stages (seconds; cpu = user+sys, child processes included):",
    `  ${"stage".padEnd(32)} ${"wall".padStart(6)} ${"cpu".padStart(6)}`,
  ];
  for (const [name, w, c, status] of rows) lines.push(`  ${name.padEnd(32)} ${w.padStart(6)} ${c.padStart(6)}  ${status}`);
  process.stderr.write(lines.join("\n") + "\n");
  process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
}

main();
