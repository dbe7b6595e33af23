import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initCa, listIssued, pkiPaths } from "../../pki";
import { withStoreLock } from "../../pki/store-lock";
import { cleanup, environmentsDir, openssl, opensslCsr, passphraseFile, PASSPHRASE, scratch } from "./pki-fixtures";

const TSX = join(__dirname, "../../node_modules/.bin/tsx");
const ROOT = join(__dirname, "../..");

/** Starts a process and resolves with its exit code and stderr. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
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

  it("two `moat pki issue` processes started together both succeed with distinct serials, no index line lost", async () => {
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
  async function together(mode: "issue" | "revoke", pkiDir: string, args: [string, string][]) {
    const children = Promise.all(args.map(([name, arg]) => run(["test/pki/store-worker.ts", mode, pkiDir, dir, name, arg])));
    while (!args.every(([name]) => existsSync(join(dir, `ready-${name}`)))) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(dir, "go"), "");
    const results = await children;
    expect(results).toEqual(args.map(() => ({ code: 0, stderr: "" })));
  }

  it("two processes issuing 40 certificates each in a tight loop interleave without reuse or loss", async () => {
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

  it("two processes revoking at once: every CRL number used once, the last CRL lists every revocation", async () => {
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

  it("two `moat pki init` processes at once: exactly one CA is made, the other is refused", async () => {
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

  it("a stale lock is reported with the way out, never broken silently", () => {
    const lock = join(dir, ".lock");
    writeFileSync(lock, "999999\n");
    expect(() => withStoreLock(lock, () => 1, 50)).toThrow(
      `PKI store lock ${lock} is held by pid 999999, which is not running; if no 'moat pki' is running, delete the lock file and retry`,
    );
    writeFileSync(lock, `${process.pid}\n`);
    expect(() => withStoreLock(lock, () => 1, 50)).toThrow(
      `PKI store lock ${lock} is still held by pid ${process.pid} after 0.05 s; wait for it to finish and retry`,
    );
  });
});
