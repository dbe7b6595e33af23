#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher, run before any TypeScript is loaded */
"use strict";
// The `moat` command. Which code runs is decided here, so it can never be stale:
// - in a source checkout (bin/moat.ts beside this file), the TypeScript source itself through
//   tsx: an edit takes effect at once, and no dist/ built earlier is ever run instead of it;
// - in an installed package (the source is not shipped), the compiled dist/ it was packed with.
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { spawnSync } = require("node:child_process");

const source = path.join(__dirname, "moat.ts");
if (!fs.existsSync(source)) {
  require(path.join(__dirname, "..", "dist", "bin", "moat.js")).runCli();
} else {
  let loader;
  try {
    loader = require.resolve("tsx");
  } catch {
    process.stderr.write(
      "moat: this is a source checkout and tsx is not installed, so the source cannot run (and dist/ may be older than it); run npm ci\n",
    );
    process.exit(1);
  }
  // tsx's loader covers require() and import() alike (the CLI loads its commands with import()).
  const child = spawnSync(process.execPath, ["--import", pathToFileURL(loader).href, source, ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exitCode = child.status ?? 1;
}
