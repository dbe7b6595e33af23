"use strict";
// CPU seconds of this process and of the children it has reaped (Linux /proc), so a suite's figure
// includes the Mosquitto, OpenSSL, terraform and tsx processes it ran. Elsewhere: this process only.
const fs = require("node:fs");

const TICKS_PER_SECOND = 100;

function cpuSeconds() {
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, then stime, cutime, cstime.
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / TICKS_PER_SECOND;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
}

module.exports = { cpuSeconds };
