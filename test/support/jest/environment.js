"use strict";
// The node environment, plus the CPU time of each test file (its module loading, its tests and
// everything they spawned) handed to the timing reporter through a file in MOAT_JEST_TIMING_DIR.
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const { TestEnvironment } = require("jest-environment-node");
const { cpuSeconds } = require("./cpu");

class TimedEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.cpuStart = cpuSeconds();
    this.testPath = context.testPath;
  }

  async teardown() {
    await super.teardown();
    const dir = process.env.MOAT_JEST_TIMING_DIR;
    if (!dir) return;
    const name = crypto.createHash("sha1").update(this.testPath).digest("hex") + ".json";
    fs.writeFileSync(path.join(dir, name), JSON.stringify({ testPath: this.testPath, cpu: cpuSeconds() - this.cpuStart }));
  }
}

module.exports = TimedEnvironment;
