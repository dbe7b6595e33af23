import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  cpSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { sharedBuild } from "../support/built-package";
import { builtCli, runMoat } from "../support/run-moat";
import { buildCsr, bulkIssue, initCa, listIssued, pkiPaths, PkiPaths } from "../../pki";
import { cleanup, environmentsDir, moatPki, openssl, passphraseFile, PASSPHRASE, scratch } from "./pki-fixtures";

describe("bulk issuance", () => {
  let dir: string;
  let paths: PkiPaths;
  let csrDir: string;
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const writeCsrs = (names: string[]) =>
    names.forEach((n) => writeFileSync(join(csrDir, `${n}.csr`), buildCsr({ commonName: n, ...keys })));
  // threads: these small directories would stay on one thread; the parallel path is what is tested
  const store = () => ({ pkiDir: dir, env: "lab", passphrase: PASSPHRASE, deviceClass: "sensor", threads: 2 });

  // One CA for the describe, copied into each test's store (the store holds no absolute path):
  // the tests are about bulk issuing, not about making a CA.
  let template: string;
  beforeAll(() => {
    template = scratch();
    initCa({ pkiDir: template, env: "lab", passphrase: PASSPHRASE });
  });
  afterAll(() => cleanup(template));
  beforeEach(() => {
    dir = scratch();
    cpSync(template, dir, { recursive: true });
    paths = pkiPaths(dir, "lab");
    csrDir = join(dir, "csrs");
    mkdirSync(csrDir);
  });
  afterEach(() => cleanup(dir));

  test("issues one certificate per CSR, each passing openssl verify, with progress per batch", () => {
    writeCsrs(Array.from({ length: 25 }, (_, i) => `dev-${String(i).padStart(2, "0")}`));
    const progress: [number, number][] = [];
    const outDir = join(dir, "out");

    const summary = bulkIssue({ ...store(), csrDir, outDir, batchSize: 10, onProgress: (d, t) => progress.push([d, t]) });

    expect(summary).toEqual({ total: 25, issued: 25, skipped: 0, refused: [] });
    expect(progress).toEqual([
      [10, 25],
      [20, 25],
      [25, 25],
    ]);
    const outputs = readdirSync(outDir).filter((f) => f.endsWith(".cert.pem"));
    expect(outputs).toHaveLength(25);
    const verified = openssl([
      "verify",
      "-x509_strict",
      "-purpose",
      "sslclient",
      "-CAfile",
      paths.rootCert,
      "-untrusted",
      paths.issuingCert,
      ...outputs.map((f) => join(outDir, f)),
    ]);
    expect(
      verified
        .trim()
        .split("\n")
        .every((l) => l.endsWith(": OK")),
    ).toBe(true);
    expect(openssl(["x509", "-in", join(outDir, "dev-07.cert.pem"), "-noout", "-subject"])).toBe("subject=OU = sensor, CN = dev-07\n");
    expect(readFileSync(join(outDir, "chain.pem"), "utf8")).toBe(readFileSync(paths.chain, "utf8"));
    // outputs are hard links to the store's read-only copies: no second file written per certificate
    const out = statSync(join(outDir, "dev-07.cert.pem"));
    expect(out.nlink).toBe(2);
    expect(out.mode & 0o777).toBe(0o444);
  });

  test("is resumable: a rerun skips what was issued, issues what is new, and restores lost output files and issued/ copies from the index", () => {
    writeCsrs(["a", "b", "c"]);
    const outDir = join(dir, "out");
    bulkIssue({ ...store(), csrDir, outDir });
    const first = Object.fromEntries(["a", "b", "c"].map((n) => [n, readFileSync(join(outDir, `${n}.cert.pem`), "utf8")]));
    const copyOf = (name: string) =>
      join(paths.issuedDir, `${listIssued({ pkiDir: dir, env: "lab" }).find((c) => c.subject === name)?.serial}.pem`);
    rmSync(join(outDir, "b.cert.pem"));
    // What a kill leaves between creating an issued/ copy and writing it: the copy empty, no output file.
    truncateSync(copyOf("c"), 0);
    rmSync(join(outDir, "c.cert.pem"));
    rmSync(copyOf("a"));
    writeCsrs(["d"]);

    const summary = bulkIssue({ ...store(), csrDir, outDir });

    expect(summary).toEqual({ total: 4, issued: 1, skipped: 3, refused: [] });
    // the same certificates, not new ones
    for (const name of ["a", "b", "c"]) {
      expect(readFileSync(join(outDir, `${name}.cert.pem`), "utf8")).toBe(first[name]);
      expect(readFileSync(copyOf(name), "utf8")).toBe(first[name]);
    }
    expect(listIssued({ pkiDir: dir, env: "lab" }).map((c) => c.subject)).toEqual(["a", "b", "c", "d"]);
  });

  test("the same CSR twice in one run gets one certificate, written for both files", () => {
    writeCsrs(["twin"]);
    writeFileSync(join(csrDir, "twin-copy.csr"), readFileSync(join(csrDir, "twin.csr")));
    const outDir = join(dir, "out");
    expect(bulkIssue({ ...store(), csrDir, outDir })).toEqual({ total: 2, issued: 1, skipped: 1, refused: [] });
    expect(readFileSync(join(outDir, "twin-copy.cert.pem"), "utf8")).toBe(readFileSync(join(outDir, "twin.cert.pem"), "utf8"));
  });

  test("the same CSR in two batches of one run gets one certificate, written for both files", () => {
    writeCsrs(["twin"]);
    writeFileSync(join(csrDir, "twin-copy.csr"), readFileSync(join(csrDir, "twin.csr")));
    const outDir = join(dir, "out");
    expect(bulkIssue({ ...store(), csrDir, outDir, batchSize: 1 })).toEqual({ total: 2, issued: 1, skipped: 1, refused: [] });
    expect(readFileSync(join(outDir, "twin-copy.cert.pem"), "utf8")).toBe(readFileSync(join(outDir, "twin.cert.pem"), "utf8"));
    expect(listIssued({ pkiDir: dir, env: "lab" })).toHaveLength(1);
  });

  test("a refused CSR does not stop the run; it is listed with its reason and nothing is issued for it", () => {
    writeCsrs(["good-1", "good-2"]);
    writeFileSync(join(csrDir, "evil.csr"), buildCsr({ commonName: "devices/#", ...keys }));
    writeFileSync(join(csrDir, "junk.pem"), "not a csr\n");
    const summary = bulkIssue({ ...store(), csrDir, outDir: join(dir, "out") });
    expect(summary.issued).toBe(2);
    expect(summary.refused).toEqual([
      { file: "evil.csr", reason: expect.stringContaining('CN "devices/#" is not a valid thing name') },
      { file: "junk.pem", reason: expect.stringContaining("found none") },
    ]);
    expect(existsSync(join(dir, "out", "evil.cert.pem"))).toBe(false);
  });

  test("an entry that cannot be read as a CSR file is refused and the run goes on, in every batch", () => {
    // Readable CSRs in the first and the last batch, and between them every kind of entry
    // that used to crash the run after earlier batches were issued
    writeCsrs(["a-good", "d-good", "h-good"]);
    symlinkSync(join(dir, "nowhere.csr"), join(csrDir, "b-dangling.csr"));
    mkdirSync(join(csrDir, "c-directory.csr"));
    execFileSync("mkfifo", [join(csrDir, "e-fifo.csr")]); // reading it would block the run for ever
    symlinkSync("/dev/zero", join(csrDir, "f-device.pem")); // reading it would never end
    writeFileSync(join(csrDir, "g-huge.csr"), "");
    truncateSync(join(csrDir, "g-huge.csr"), 64 * 1024 + 1);
    symlinkSync("/proc/self/mem", join(csrDir, "g-io-error.csr")); // opens as a regular file, the read fails with EIO
    const outDir = join(dir, "out");
    const progress: number[] = [];

    const summary = bulkIssue({ ...store(), csrDir, outDir, batchSize: 2, onProgress: (d) => progress.push(d) });

    // The readable ones are issued, each other entry is listed with a line naming it and the fix
    const at = (f: string) => join(csrDir, f);
    expect(summary).toEqual({
      total: 9,
      issued: 3,
      skipped: 0,
      refused: [
        {
          file: "b-dangling.csr",
          reason: `${at("b-dangling.csr")}: cannot be read (ENOENT: no such file, or a dangling symbolic link); make it a readable CSR file or move it out of ${csrDir}, then rerun`,
        },
        {
          file: "c-directory.csr",
          reason: `${at("c-directory.csr")}: is a directory, not a CSR file; make it a readable CSR file or move it out of ${csrDir}, then rerun`,
        },
        {
          file: "e-fifo.csr",
          reason: `${at("e-fifo.csr")}: is a FIFO, not a CSR file; make it a readable CSR file or move it out of ${csrDir}, then rerun`,
        },
        {
          file: "f-device.pem",
          reason: `${at("f-device.pem")}: is a device or other special file, not a CSR file; make it a readable CSR file or move it out of ${csrDir}, then rerun`,
        },
        {
          file: "g-huge.csr",
          reason: `${at("g-huge.csr")}: 65537 bytes is too large for a CSR (at most 65536); make it a readable CSR file or move it out of ${csrDir}, then rerun`,
        },
        {
          file: "g-io-error.csr",
          reason: `${at("g-io-error.csr")}: cannot be read (EIO); make it a readable CSR file or move it out of ${csrDir}, then rerun`,
        },
      ],
    });
    expect(progress).toEqual([2, 4, 6, 8, 9]);
    expect(readdirSync(outDir).sort()).toEqual(["a-good.cert.pem", "chain.pem", "d-good.cert.pem", "h-good.cert.pem"]);
    expect(listIssued({ pkiDir: dir, env: "lab" }).map((c) => c.subject)).toEqual(["a-good", "d-good", "h-good"]);
  });

  test("moat pki bulk (a real process, without root's DAC override) lists an unreadable file, issues the rest and exits 1", () => {
    // A CSR file its owner cannot read: root reads anything, so root drops the capability
    writeCsrs(["good"]);
    writeCsrs(["secret"]);
    chmodSync(join(csrDir, "secret.csr"), 0o000);
    const envs = environmentsDir(dir);
    const args = [
      builtCli(),
      "pki",
      "bulk",
      "--env",
      "lab",
      "--class",
      "sensor",
      "--csr-dir",
      csrDir,
      "--out-dir",
      join(dir, "out"),
      "--pki-dir",
      dir,
      "--environments-dir",
      envs,
      "--passphrase-file",
      passphraseFile(dir),
    ];
    const dropDac = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", "--", process.execPath];
    const cwd = resolve(__dirname, "../..");

    const result =
      process.getuid?.() === 0
        ? spawnSync("setpriv", [...dropDac, ...args], { cwd, encoding: "utf8" })
        : spawnSync(process.execPath, args, { cwd, encoding: "utf8" });

    expect(result.stderr).toContain(
      `moat pki bulk: refused ${join(csrDir, "secret.csr")}: cannot be read (EACCES); make it a readable CSR file or move it out of ${csrDir}, then rerun\n`,
    );
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(result.stdout).toMatch(/^bulk: 2 CSRs of class sensor: 1 issued, 0 already issued \(skipped\), 1 refused/);
    expect(result.status).toBe(1);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["chain.pem", "good.cert.pem"]);
  });

  test("refuses an empty or missing CSR directory and an output directory equal to it", () => {
    expect(() => bulkIssue({ ...store(), csrDir, outDir: join(dir, "out") })).toThrow(
      `CSR directory ${csrDir} has no *.csr or *.pem files`,
    );
    expect(() => bulkIssue({ ...store(), csrDir: join(dir, "nope"), outDir: join(dir, "out") })).toThrow("does not exist");
    expect(() => bulkIssue({ ...store(), csrDir, outDir: csrDir })).toThrow(
      "is the CSR directory; write certificates to a separate directory",
    );
  });

  test("moat pki bulk shows a progress bar and a summary, and exits 1 when any CSR was refused", async () => {
    writeCsrs(["c1", "c2"]);
    const ctx = { pkiDir: dir, environmentsDir: environmentsDir(dir), passphraseFile: passphraseFile(dir) };
    const args = ["bulk", "--env", "lab", "--class", "sensor", "--csr-dir", csrDir, "--out-dir", join(dir, "cli-out")];
    const ok = await moatPki(args, ctx);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe(`moat pki bulk: [${"#".repeat(30)}] 2/2\n`);
    expect(ok.stdout).toMatch(/^bulk: 2 CSRs of class sensor: 2 issued, 0 already issued \(skipped\), 0 refused in \d+\.\d s\n$/);

    writeFileSync(join(csrDir, "bad.csr"), buildCsr({ commonName: "a+b", ...keys }));
    const rerun = await moatPki(args, ctx);
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toMatch(/^bulk: 3 CSRs of class sensor: 0 issued, 2 already issued \(skipped\), 1 refused/);
    expect(rerun.stderr).toContain(`moat pki bulk: refused ${join(csrDir, "bad.csr")}: CN "a+b" is not a valid thing name`);
  });
});

describe("moat pki issue --csr refuses a path that is not a readable CSR file, in one line", () => {
  test.each([
    [
      "a missing file",
      () => "/nonexistent/device.csr",
      /device\.csr: cannot be read \(ENOENT: no such file, or a dangling symbolic link\); give --csr the path of a PEM CSR file/,
    ],
    [
      "a device that never ends",
      () => "/dev/zero",
      /\/dev\/zero: is a device or other special file, not a CSR file; give --csr the path of a PEM CSR file/,
    ],
    ["a directory", () => "/tmp", /\/tmp: is a directory, not a CSR file/],
  ])("%s", (_name, csr, expected) => {
    const pkiDir = scratch("moat-issue-input-");
    const env = { ...process.env, MOAT_CA_PASSPHRASE: "" };
    expect(runMoat(["pki", "init", "--env", "dev", "--unencrypted-dev-key", "--pki-dir", pkiDir], { env }).code).toBe(0);
    const result = runMoat(
      ["pki", "issue", "--env", "dev", "--class", "sensor", "--csr", csr(), "--out", join(pkiDir, "out.pem"), "--pki-dir", pkiDir],
      { env },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(pkiDir, "out.pem"))).toBe(false);
  });
});

test("the compiled package runs the parallel path with plain node: dist's worker is JavaScript, no tsx", () => {
  const dir = scratch();
  try {
    // The package build (tsconfig.build.json, beside the checkout's node_modules), shared with the other tests that run it.
    const built = sharedBuild();
    const pkiDir = join(dir, "store");
    const { paths } = initCa({ pkiDir, env: "lab", passphrase: PASSPHRASE });
    const csrDir = join(dir, "csrs");
    mkdirSync(csrDir);
    const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
    for (let i = 0; i < 30; i++) writeFileSync(join(csrDir, `d-${i}.csr`), buildCsr({ commonName: `d-${i}`, ...keys }));
    const script = `
      const { bulkIssue } = require(${JSON.stringify(join(built, "dist/pki/index.js"))});
      const summary = bulkIssue({ pkiDir: ${JSON.stringify(pkiDir)}, env: "lab", passphrase: ${JSON.stringify(PASSPHRASE)}, deviceClass: "sensor",
        csrDir: ${JSON.stringify(csrDir)}, outDir: ${JSON.stringify(join(dir, "out"))}, threads: 2, batchSize: 8 });
      process.stdout.write(JSON.stringify({ summary, loaders: process.execArgv.filter((a) => a.startsWith("--")) }));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH } }),
    );
    expect(result).toEqual({ summary: { total: 30, issued: 30, skipped: 0, refused: [] }, loaders: [] });
    const outs = readdirSync(join(dir, "out"))
      .filter((f) => f.endsWith(".cert.pem"))
      .map((f) => join(dir, "out", f));
    const verified = openssl(["verify", "-x509_strict", "-CAfile", paths.rootCert, "-untrusted", paths.issuingCert, ...outs]);
    expect(
      verified
        .trim()
        .split("\n")
        .filter((l) => l.endsWith(": OK")),
    ).toHaveLength(30);
  } finally {
    cleanup(dir);
  }
}, 180_000);
