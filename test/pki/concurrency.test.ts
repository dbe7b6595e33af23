import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initCa, listIssued, pkiPaths } from "../../pki";
import { withStoreLock } from "../../pki/store-lock";
import { sharedBuild } from "../support/built-package";
import { builtCli } from "../support/run-moat";
import { cleanup, environmentsDir, openssl, opensslCsr, passphraseFile, PASSPHRASE, scratch } from "./pki-fixtures";

const NODE = process.execPath;
const ROOT = join(__dirname, "../..");

/**
 * store-worker.ts as JavaScript for plain node, made once per run of this file: its own code
 * bundled by esbuild (tsx's, which pki/bulk-pool.ts uses too), pki/ required from the shared
 * build of the same source, so the workers start without a TypeScript loader.
 */
let storeWorker: string;
beforeAll(async () => {
  const built = join(sharedBuild(), "dist", "pki", "index.js");
  const local = createRequire(join(ROOT, "package.json"));
  const esbuild = local(local.resolve("esbuild", { paths: [dirname(local.resolve("tsx/package.json"))] })) as typeof import("esbuild");
  storeWorker = join(mkdtempSync(join(tmpdir(), "moat-store-worker-")), "store-worker.js");
  await esbuild.build({
    entryPoints: [join(__dirname, "store-worker.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: storeWorker,
    logLevel: "error",
    plugins: [{ name: "built-pki", setup: (b) => b.onResolve({ filter: /^\.\.\/\.\.\/pki$/ }, () => ({ path: built, external: true })) }],
  });
});
afterAll(() => rmSync(dirname(storeWorker), { recursive: true, force: true }));

/**
 * The command line of `node <args>`: the store worker and `moat` (bin/moat.ts) both run compiled
 * from the same source, which starts without compiling TypeScript.
 */
function nodeArgs(args: string[]): string[] {
  if (args[0] === "bin/moat.ts") return [builtCli(), ...args.slice(1)];
  if (args[0] === "test/pki/store-worker.ts") return [storeWorker, ...args.slice(1)];
  throw new Error(`concurrency.test.ts: no compiled form of ${args[0]}`);
}

/** Starts a process and resolves with its exit code and stderr. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, nodeArgs(args), { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** Every index line parses, every serial is unique and has its issued/ copy. */
function expectConsistentStore(pkiDir: string, expected: number): void {
  const paths = pkiPaths(pkiDir, "lab");
  const lines = readFileSync(paths.index, "utf8").split("\n");
  expect(lines.pop()).toBe(""); // ends with a newline: no torn line
  expect(lines).toHaveLength(expected);
  const serials = lines.map((l) => JSON.parse(l).serial as string);
  expect(new Set(serials).size).toBe(expected);
  expect(readdirSync(paths.issuedDir).sort()).toEqual(serials.map((s) => `${s}.pem`).sort());
  for (const c of listIssued({ pkiDir, env: "lab" })) {
    expect(new X509Certificate(readFileSync(join(paths.issuedDir, `${c.serial}.pem`))).serialNumber).toBe(c.serial);
  }
}

describe("two issuers at once", () => {
  let dir: string;
  beforeEach(() => (dir = scratch()));
  afterEach(() => cleanup(dir));

  test("two `moat pki issue` processes started together both succeed with distinct serials, no index line lost", async () => {
    const pkiDir = join(dir, "store");
    initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE });
    const envs = environmentsDir(dir);
    const pass = passphraseFile(dir);
    const issue = (name: string) => {
      const { csr } = opensslCsr(dir, name, `/CN=${name}`);
      return run([
        "bin/moat.ts",
        "pki",
        "issue",
        "--env",
        "lab",
        "--class",
        "sensor",
        "--pki-dir",
        pkiDir,
        "--environments-dir",
        envs,
        "--passphrase-file",
        pass,
        "--csr",
        csr,
        "--out",
        join(dir, `${name}.pem`),
      ]);
    };
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all([issue(`a-${round}`), issue(`b-${round}`)]);
      expect(results).toEqual([
        { code: 0, stderr: "" },
        { code: 0, stderr: "" },
      ]);
    }
    expectConsistentStore(pkiDir, 4);
  });

  /** Runs two store workers that start at the same instant; resolves when both exit. */
  async function together(mode: "issue" | "revoke" | "bulk", pkiDir: string, args: [string, string][]) {
    // in "bulk" mode, a worker named "loop" issues one by one beside the bulk run
    const modeOf = (name: string) => (mode === "bulk" && name === "loop" ? "issue" : mode);
    const children = Promise.all(args.map(([name, arg]) => run(["test/pki/store-worker.ts", modeOf(name), pkiDir, dir, name, arg])));
    while (!args.every(([name]) => existsSync(join(dir, `ready-${name}`)))) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(dir, "go"), "");
    const results = await children;
    expect(results).toEqual(args.map(() => ({ code: 0, stderr: "" })));
  }

  test("two processes issuing 40 certificates each in a tight loop interleave without reuse or loss", async () => {
    const pkiDir = join(dir, "store");
    initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE });
    await together("issue", pkiDir, [
      ["a", "40"],
      ["b", "40"],
    ]);
    expectConsistentStore(pkiDir, 80);
    // the two loops really ran at the same time: their subjects interleave in the journal
    const order = listIssued({ pkiDir, env: "lab" }).map((c) => c.subject[0]);
    expect(order.filter((p, i) => i > 0 && p !== order[i - 1]).length).toBeGreaterThan(1);
  });

  test("a parallel bulk run and a tight issuing loop at once share the store without reuse or loss", async () => {
    const pkiDir = join(dir, "store");
    initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE });
    await together("bulk", pkiDir, [
      ["bulk", "120"],
      ["loop", "40"],
    ]);
    expectConsistentStore(pkiDir, 160);
    // both wrote to the one journal; 120 CSRs are one bulk batch, which the scheduler may journal before, between or after
    // the loop's lines, so only the store's consistency (above) is asserted, not where the batch landed
    const order = listIssued({ pkiDir, env: "lab" }).map((c) => c.subject.split("-")[0]);
    expect(new Set(order)).toEqual(new Set(["bulk", "loop"]));
    expect(readdirSync(join(dir, "out-bulk")).filter((f) => f.endsWith(".cert.pem"))).toHaveLength(120);
  });

  test("a parallel bulk run killed with SIGKILL mid-way resumes through the CLI: every certificate verifies, every serial is distinct and journaled once", async () => {
    const pkiDir = join(dir, "store");
    const { paths } = initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE });
    const count = 600;
    // node itself runs the worker (no tsx relay in between), so SIGKILL stops the issuing process and leaves its store lock behind.
    const worker = ["test/pki/store-worker.ts", "bulk", pkiDir, dir, "kill", String(count)];
    const child = spawn(NODE, nodeArgs(worker), { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    while (!existsSync(join(dir, "ready-kill"))) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(dir, "go"), "");
    const journaled = () => (existsSync(paths.index) ? readFileSync(paths.index, "utf8").split("\n").length - 1 : 0);
    while (journaled() < 100) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const before = journaled();
    expect(before).toBeLessThan(count); // killed mid-way, not after the end

    const csrDir = join(dir, "csrs-kill");
    const outDir = join(dir, "out-kill");
    const resumed = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const args = ["bin/moat.ts", "pki", "bulk", "--env", "lab", "--class", "sensor", "--csr-dir", csrDir, "--out-dir", outDir];
      const more = ["--pki-dir", pkiDir, "--environments-dir", environmentsDir(dir), "--passphrase-file", passphraseFile(dir)];
      const cli = spawn(NODE, nodeArgs([...args, ...more]), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      cli.stdout.on("data", (d) => (stdout += d));
      cli.stderr.on("data", (d) => (stderr += d));
      cli.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(resumed.stderr).not.toMatch(/refused|internal error|\n\s+at /);
    expect(resumed.code).toBe(0);
    const [, issued, skipped] = /: (\d+) issued, (\d+) already issued/.exec(resumed.stdout) ?? [];
    expect(Number(issued) + Number(skipped)).toBe(count);
    expect(Number(skipped)).toBeGreaterThanOrEqual(before);

    const events = readFileSync(paths.index, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { serial: string; csrSha256: string });
    expect(events).toHaveLength(count);
    expect(new Set(events.map((e) => e.serial)).size).toBe(count);
    expect(new Set(events.map((e) => e.csrSha256)).size).toBe(count);
    const copies = readdirSync(paths.issuedDir).filter((f) => f.endsWith(".pem"));
    expect(copies.sort()).toEqual(events.map((e) => `${e.serial}.pem`).sort());
    // a copy the kill left empty (created, not yet written) was restored from the journal
    for (const copy of copies) expect(`${new X509Certificate(readFileSync(join(paths.issuedDir, copy))).serialNumber}.pem`).toBe(copy);
    const outs = readdirSync(outDir)
      .filter((f) => f.endsWith(".cert.pem"))
      .map((f) => join(outDir, f));
    expect(outs).toHaveLength(count);
    const verified = openssl(["verify", "-x509_strict", "-CAfile", paths.rootCert, "-untrusted", paths.issuingCert, ...outs]);
    expect(
      verified
        .trim()
        .split("\n")
        .filter((l) => l.endsWith(": OK")),
    ).toHaveLength(count);
    const served = outs.map((f) => new X509Certificate(readFileSync(f)).serialNumber);
    expect(served.sort()).toEqual(events.map((e) => e.serial).sort());
  }, 180_000);

  test("two processes revoking at once: every CRL number used once, the last CRL lists every revocation", async () => {
    // Without the lock both would read the same index and CRL number: the later CRL would
    // silently drop the other process's revocations.
    const pkiDir = join(dir, "store");
    const { paths } = initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE });
    await together("issue", pkiDir, [["seed", "30"]]);
    const serials = listIssued({ pkiDir, env: "lab" }).map((c) => c.serial);
    writeFileSync(join(dir, "half-a"), serials.slice(0, 15).join("\n"));
    writeFileSync(join(dir, "half-b"), serials.slice(15).join("\n"));
    rmSync(join(dir, "go"));

    await together("revoke", pkiDir, [
      ["a", join(dir, "half-a")],
      ["b", join(dir, "half-b")],
    ]);

    expect(readFileSync(paths.crlNumber, "utf8")).toBe("31\n"); // 1 at init + 30 revocations
    const crl = openssl(["crl", "-in", paths.crl, "-CAfile", paths.issuingCert, "-verify", "-noout", "-text"]);
    const listed = [...crl.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...serials].sort());
  });

  test("two `moat pki init` processes at once: exactly one CA is made, the other is refused", async () => {
    const pkiDir = join(dir, "store");
    const envs = environmentsDir(dir);
    const pass = passphraseFile(dir);
    const init = () =>
      run(["bin/moat.ts", "pki", "init", "--env", "lab", "--pki-dir", pkiDir, "--environments-dir", envs, "--passphrase-file", pass]);
    const results = await Promise.all([init(), init()]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(results.find((r) => r.code === 1)?.stderr).toMatch(
      /^moat pki: a CA for environment 'lab' (already exists|was created .* while this one was being made)/,
    );
    const paths = pkiPaths(pkiDir, "lab");
    expect(openssl(["verify", "-x509_strict", "-CAfile", paths.rootCert, paths.issuingCert])).toBe(`${paths.issuingCert}: OK\n`);
    expect(readdirSync(pkiDir)).toEqual(["lab"]); // no staging directory left behind
  });

  test("a lock left by a killed process on this host is recovered, and the body runs", () => {
    const lock = join(dir, ".lock");
    for (const content of [`999999 ${hostname()}\n`, "999999\n"]) {
      writeFileSync(lock, content);
      expect(withStoreLock(lock, () => readFileSync(lock, "utf8"), 50)).toBe(`${process.pid} ${hostname()}\n`);
      expect(existsSync(lock)).toBe(false);
      expect(existsSync(`${lock}.break`)).toBe(false);
    }
  });

  test("a lock held by a running process, by another host or being written is waited for, never broken", () => {
    const lock = join(dir, ".lock");
    const cases: [string, string][] = [
      [`${process.pid} ${hostname()}\n`, `pid ${process.pid}`],
      ["999999 another-host.example\n", "pid 999999 on host another-host.example"],
      ["", "an unknown process"],
    ];
    for (const [content, who] of cases) {
      writeFileSync(lock, content);
      expect(() => withStoreLock(lock, () => 1, 50)).toThrow(
        `PKI store lock ${lock} is still held by ${who} after 0.05 s; wait for it to finish and retry`,
      );
      expect(readFileSync(lock, "utf8")).toBe(content);
    }
    rmSync(lock);
  });

  test("a recovery interrupted by a crash is reported with both files to delete", () => {
    const lock = join(dir, ".lock");
    writeFileSync(lock, `999999 ${hostname()}\n`);
    writeFileSync(`${lock}.break`, `999998 ${hostname()}\n`);
    expect(() => withStoreLock(lock, () => 1, 50)).toThrow(
      `PKI store lock ${lock}.break was left by pid 999998, which stopped while recovering a stale lock; if no 'moat pki' is running, delete ${lock} and ${lock}.break and retry`,
    );
    rmSync(lock);
    rmSync(`${lock}.break`);
  });
});
