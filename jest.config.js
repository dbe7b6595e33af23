/** @type {import('jest').Config} */
module.exports = {
  // The node environment, which also records each test file's CPU time for the timing reporter.
  testEnvironment: "<rootDir>/test/support/jest/environment.js",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // @swc/jest strips types only; `tsc --noEmit` in `npm test` does the type checking once.
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
  testTimeout: 60000,
  // Jest's default (one worker per core but one) runs the suites one by one on two cores, and the
  // suites wait often on brokers, terraform and child processes: three workers on two cores keep
  // both busy ("150%" is read as 150 workers). Jest starts the suites that took longest last time first.
  maxWorkers: 3,
  // Jest waits 500 ms by default for a worker to exit after the run, then kills it and prints "A
  // worker process has failed to exit gracefully". Measured here: every worker reaches its
  // 'exit' event within 10 ms of the end (no handle left open), but ending a process that holds
  // ~600 MB, three at once on two cores, takes 380-510 ms more. A handle left open still shows:
  // the worker is killed and the warning printed after this wait.
  workerGracefulExitTimeout: 5000,
  // The slowest suites and the totals per folder, printed at the end of every run.
  reporters: ["default", "<rootDir>/test/support/jest/timing-reporter.js"],
};
