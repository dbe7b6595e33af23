// npm run bench:pki — bulk issuance from CSRs, printed beside its anchors from the same run:
//   native sign   Node's crypto.sign with the same issuing key: the ceiling for signing alone
//   CSR verify    importing each device key and verifying its CSR natively: work bulk must also do
//   ceiling       the most any bulk that verifies every CSR could reach here: per certificate one
//                 key import (JWK, Node's fastest), one verify and one sign, on every core, nothing else
//   forge only    node-forge building and signing in pure JS (RSA only: forge has no ECDSA)
//   openssl       one `openssl x509 -req` process per certificate
//   one thread    moat pki bulk with threads: 0 (the path below PARALLEL_FROM CSRs)
//   bulk          moat pki bulk as a user runs it: a worker thread on every core but one, and the writer
//                 thread signing too whenever it would wait (the figure against the ceiling)
// Device CSRs (P-256, one key each) are generated before anything is timed.
// BULK_COUNT (default 2000) CSRs for bulk; forge and openssl use smaller counts, printed.
// SCALE_COUNT (default 100000; 0 skips) CSRs for the scale run: time and peak RSS of one bulk
// process (bench/pki-scale.ts) on disk and on tmpfs.
// Other processes on the machine slow every figure: the 1-minute load average is printed with each.
// CPU time per certificate is printed for the store on disk and on tmpfs: creating a file on
// disk can cost more system time than the whole floor, and tmpfs shows the CPU work alone. The
// CPU time of creating a file on each store, measured in the same run, is printed beside them.
import { execFileSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import * as forge from "node-forge";
import { buildCsr, bulkIssue, initCa, KeyType, pkiPaths } from "../pki";
import { childrenOf, readDer } from "../pki/der-reader";
import { fromPem } from "../pki/pem";
import { importSubjectPublicKey } from "../pki/public-key";

const BULK_COUNT = Number(process.env.BULK_COUNT ?? 2000);
const SCALE_COUNT = Number(process.env.SCALE_COUNT ?? 100_000);
const ANCHOR_COUNT = 1000;
const FORGE_COUNT = 40;
const OPENSSL_COUNT = 30;
/** tmpfs, when there is one: bulk there measures the CPU work without a shared disk's noise. */
const TMPFS = existsSync("/dev/shm") ? "/dev/shm" : undefined;

/** Runs `work` `count` times; operations per second. */
function rate(count: number, work: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) work(i);
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const perSecond = (n: number) => `${Math.round(n).toLocaleString("en-US").padStart(7)} /s`;
const pct = (r: number) => `${(r * 100).toFixed(0)}%`;

/** A CA on `base` with the CSRs written into its csrs/ directory. */
function prepare(base: string, keyType: KeyType, csrs: readonly string[]) {
  const dir = mkdtempSync(join(base, `moat-bench-pki-${keyType}-`));
  initCa({ pkiDir: dir, env: "bench", keyType, unencryptedDevKey: true });
  const csrDir = join(dir, "csrs");
  mkdirSync(csrDir);
  csrs.forEach((pem, i) => writeFileSync(join(csrDir, `device-${String(i).padStart(5, "0")}.csr`), pem));
  return { dir, csrDir, keyType, paths: pkiPaths(dir, "bench") };
}

const load = () => `load ${os.loadavg()[0].toFixed(1)}`;

/** CPU time of the whole process (every thread) per call of `work`, in microseconds. */
function cpuPer(count: number, work: (i: number) => void): number {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/**
 * CPU microseconds per file to create BULK_COUNT files of a certificate's size in a fresh directory
 * under `base` (open with O_CREAT|O_EXCL, write, close): what the store's one file per certificate
 * costs beyond the ceiling, which counts no disk.
 */
function fileCreateCpu(base: string): number {
  const dir = mkdtempSync(join(base, "moat-bench-create-"));
  const pem = "x".repeat(700);
  try {
    return cpuPer(BULK_COUNT, (i) => {
      const fd = openSync(join(dir, `${i}.pem`), "wx", 0o444);
      try {
        writeSync(fd, pem);
      } finally {
        closeSync(fd);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU microseconds (all threads) per certificate of the last timedBulk. */
let bulkCpu = 0;

function timedBulk(store: ReturnType<typeof prepare>, threads?: number): number {
  rmSync(store.paths.envDir, { recursive: true, force: true });
  rmSync(join(store.dir, "out"), { recursive: true, force: true });
  initCa({ pkiDir: store.dir, env: "bench", keyType: store.keyType, unencryptedDevKey: true });
  const start = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const summary = bulkIssue({
    pkiDir: store.dir,
    env: "bench",
    deviceClass: "sensor",
    csrDir: store.csrDir,
    outDir: join(store.dir, "out"),
    threads,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (summary.issued !== BULK_COUNT)
    throw new Error(`bulk issued ${summary.issued} of ${BULK_COUNT}: ${JSON.stringify(summary.refused.slice(0, 3))}`);
  const cpu = process.cpuUsage(cpuBefore);
  bulkCpu = (cpu.user + cpu.system) / summary.issued;
  return summary.issued / seconds;
}

function benchKeyType(keyType: KeyType, csrs: readonly string[]): void {
  const onDisk = prepare(os.tmpdir(), keyType, csrs);
  const onTmpfs = TMPFS === undefined ? undefined : prepare(TMPFS, keyType, csrs);
  try {
    const caKey = createPrivateKey(readFileSync(onDisk.paths.issuingKey));
    const anchorLoad = load();
    const tbsLike = randomBytes(420); // a device TBSCertificate is ~400 bytes
    const signCount = keyType === "p256" ? 10_000 : 1_500;
    const csrParts = csrs.slice(0, ANCHOR_COUNT).map(csrPieces);

    const signBefore = rate(signCount, () => sign("sha256", tbsLike, caKey));
    const csrVerify = rate(csrParts.length, (i) => {
      const { info, spki, signature } = csrParts[i];
      if (!verify("sha256", info, importSubjectPublicKey(spki, "bench CSR").key, signature)) throw new Error("bench CSR did not verify");
    });
    const importedKeys = csrParts.map((p) => importSubjectPublicKey(p.spki, "bench CSR").key);
    const verifyOnly = rate(csrParts.length, (i) => {
      const { info, signature } = csrParts[i];
      if (!verify("sha256", info, importedKeys[i], signature)) throw new Error("bench CSR did not verify");
    });
    // CPU time per operation does not depend on what else runs on the machine, unlike rates.
    const floorCpu =
      cpuPer(signCount, () => sign("sha256", tbsLike, caKey)) +
      cpuPer(csrParts.length, (i) => {
        const { info, spki, signature } = csrParts[i];
        verify("sha256", info, importSubjectPublicKey(spki, "bench CSR").key, signature);
      });
    const oneThread = timedBulk(onDisk, 0);
    const oneThreadCpu = bulkCpu;
    const oneThreadLoad = load();
    const bulkDisk = timedBulk(onDisk);
    const workersCpu = bulkCpu;
    const bulkDiskLoad = load();
    const oneThreadTmpfsCpu = onTmpfs === undefined ? undefined : (timedBulk(onTmpfs, 0), bulkCpu);
    const bulkTmpfs = onTmpfs === undefined ? undefined : timedBulk(onTmpfs);
    const workersTmpfsCpu = bulkCpu;
    const bulkTmpfsLoad = load();
    const createDisk = fileCreateCpu(os.tmpdir());
    const createTmpfs = TMPFS === undefined ? undefined : fileCreateCpu(TMPFS);
    const signAfter = rate(signCount, () => sign("sha256", tbsLike, caKey));
    const native = (signBefore + signAfter) / 2;
    const floor = 1 / (1 / native + 1 / csrVerify);
    const cores = os.availableParallelism();
    const ceiling = cores * floor;
    const threads = cores === 1 ? "1 thread" : `${cores} threads`;
    const forgeOnly = keyType === "p256" ? undefined : forgeRate(onDisk.paths.issuingKey, onDisk.paths.issuingCert);
    const openssl = opensslLoop(onDisk);

    const bulkLine = (label: string, bulk: number, at: string) =>
      `  ${label.padEnd(38)}${perSecond(bulk)}   = ${pct(bulk / ceiling)} of the ceiling, ${pct(bulk / floor)} of one core's floor (${at})`;
    console.log(`\n${keyType} issuing CA; ${BULK_COUNT} P-256 device CSRs`);
    console.log(
      `  ${"native crypto.sign, same key".padEnd(38)}${perSecond(native)}   (before bulk ${perSecond(signBefore)}, after ${perSecond(signAfter)})`,
    );
    console.log(`  ${`native CSR key import + verify (${ANCHOR_COUNT})`.padEnd(38)}${perSecond(csrVerify)}`);
    console.log(`  ${"native floor: sign + CSR verify".padEnd(38)}${perSecond(floor)}`);
    console.log(`  ${`native verify only, key imported (${ANCHOR_COUNT})`.padEnd(38)}${perSecond(verifyOnly)}`);
    console.log(
      `  ${`ceiling: ${cores} cores x floor`.padEnd(38)}${perSecond(ceiling)}   = ${pct(ceiling / native)} of native sign: no bulk that verifies every CSR beats this here (parsing, building, disk not counted) (anchors from ${anchorLoad})`,
    );
    console.log(bulkLine(`bulk, one thread, store in ${os.tmpdir()}`, oneThread, oneThreadLoad));
    console.log(bulkLine(`bulk, ${threads}, store in ${os.tmpdir()}`, bulkDisk, bulkDiskLoad));
    if (bulkTmpfs !== undefined) console.log(bulkLine(`bulk, ${threads}, store in ${TMPFS}`, bulkTmpfs, bulkTmpfsLoad));
    console.log(
      `  ${`forge only, pure JS (${FORGE_COUNT})`.padEnd(38)}${forgeOnly === undefined ? "    n/a      (forge has no ECDSA)" : `${perSecond(forgeOnly)}   bulk is ${(bulkDisk / forgeOnly).toFixed(0)}x faster`}`,
    );
    console.log(
      `  ${`openssl x509 -req per cert (${OPENSSL_COUNT})`.padEnd(38)}${perSecond(openssl)}   bulk is ${(bulkDisk / openssl).toFixed(0)}x faster`,
    );
    const us = (n: number) => `${n.toFixed(0)} us`;
    const cpuLine = (where: string, one: number, workers: number) =>
      `bulk one thread ${us(one)}, bulk ${threads} ${us(workers)} (store in ${where}): on idle cores ${threads} could reach at most ${pct(floorCpu / workers)} of the ceiling`;
    console.log(
      `  ${"CPU per certificate, all threads".padEnd(38)}floor ${us(floorCpu)}; ${cpuLine(os.tmpdir(), oneThreadCpu, workersCpu)}`,
    );
    if (oneThreadTmpfsCpu !== undefined)
      console.log(`  ${"".padEnd(38)}floor ${us(floorCpu)}; ${cpuLine(TMPFS as string, oneThreadTmpfsCpu, workersTmpfsCpu)}`);
    console.log(
      `  ${`creating a file (${BULK_COUNT}), CPU`.padEnd(38)}${us(createDisk)} per file in ${os.tmpdir()}${createTmpfs === undefined ? "" : `, ${us(createTmpfs)} in ${TMPFS}`}: bulk creates one per certificate (its issued/ copy), a cost the ceiling does not count`,
    );
    const verdict = (bulk: number) => `${bulk >= ceiling / 2 ? "met" : "NOT met"} (${pct(bulk / ceiling)})`;
    console.log(
      `  goal bulk >= 50% of the ceiling: on disk ${verdict(bulkDisk)}${bulkTmpfs === undefined ? "" : `, on tmpfs ${verdict(bulkTmpfs)}`}`,
    );
  } finally {
    for (const store of [onDisk, onTmpfs]) if (store) rmSync(store.dir, { recursive: true, force: true });
  }
}

/**
 * SCALE_COUNT CSRs through one `bulkIssue` process per store (P-256 CA, one device key for all:
 * key generation is not what is measured), on disk and on tmpfs: time and the process's peak RSS.
 */
function scale(): void {
  console.log(`\nscale: ${SCALE_COUNT.toLocaleString("en-US")} CSRs, p256 issuing CA, one process each (bench/pki-scale.ts)`);
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const csrs = Array.from({ length: SCALE_COUNT }, (_, i) => buildCsr({ commonName: `device-${i}`, ...keys }));
  for (const base of [os.tmpdir(), ...(TMPFS === undefined ? [] : [TMPFS])]) {
    const dir = mkdtempSync(join(base, "moat-bench-scale-"));
    try {
      initCa({ pkiDir: dir, env: "bench", keyType: "p256", unencryptedDevKey: true });
      const csrDir = join(dir, "csrs");
      mkdirSync(csrDir);
      csrs.forEach((pem, i) => writeFileSync(join(csrDir, `device-${String(i).padStart(6, "0")}.csr`), pem));
      const before = load();
      const output = execFileSync(
        join(__dirname, "../node_modules/.bin/tsx"),
        [join(__dirname, "pki-scale.ts"), dir, csrDir, join(dir, "out")],
        {
          encoding: "utf8",
        },
      );
      const { seconds, issued, maxRssKb, cpuUs } = JSON.parse(output) as {
        seconds: number;
        issued: number;
        maxRssKb: number;
        cpuUs: number;
      };
      if (issued !== SCALE_COUNT) throw new Error(`scale run issued ${issued} of ${SCALE_COUNT}`);
      console.log(
        `  ${`store in ${base}`.padEnd(38)}${seconds.toFixed(1).padStart(6)} s   ${perSecond(issued / seconds)}   peak RSS ${(maxRssKb / 1024).toFixed(0)} MiB   CPU per certificate ${(cpuUs / issued).toFixed(0)} us   (${before} before, ${load()} after)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The signed bytes, the key and the signature of a CSR, sliced out before timing. */
function csrPieces(pem: string) {
  const [info, , signature] = childrenOf(readDer(fromPem(pem, ["CERTIFICATE REQUEST"], "bench CSR"), "bench CSR"), "bench CSR");
  return { info: info.bytes, spki: childrenOf(info, "bench CSR")[2], signature: signature.contents.subarray(1) };
}

/** node-forge alone: build and sign an RSA certificate in pure JS. */
function forgeRate(issuingKeyPath: string, issuingCertPath: string): number {
  const key = forge.pki.privateKeyFromPem(readFileSync(issuingKeyPath, "utf8"));
  const issuer = forge.pki.certificateFromPem(readFileSync(issuingCertPath, "utf8"));
  const subjectKey = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 }).publicKey;
  return rate(FORGE_COUNT, (i) => {
    const cert = forge.pki.createCertificate();
    cert.serialNumber = "4" + randomBytes(16).toString("hex").slice(1);
    cert.publicKey = subjectKey;
    cert.validity.notBefore = new Date();
    cert.validity.notAfter = new Date(Date.now() + 365 * 86400_000);
    cert.setSubject([{ name: "commonName", value: `device-${i}` }]);
    cert.setIssuer(issuer.subject.attributes);
    cert.setExtensions([
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true },
      { name: "extKeyUsage", clientAuth: true },
    ]);
    cert.sign(key, forge.md.sha256.create());
    forge.pki.certificateToPem(cert);
  });
}

/** One `openssl x509 -req` process per certificate: the usual shell-script CA. */
function opensslLoop(store: ReturnType<typeof prepare>): number {
  const out = join(store.dir, "openssl-out");
  mkdirSync(out);
  return rate(OPENSSL_COUNT, (i) => {
    const name = `device-${String(i).padStart(5, "0")}`;
    const serial = "0x4" + randomBytes(16).toString("hex").slice(1);
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        join(store.csrDir, `${name}.csr`),
        "-CA",
        store.paths.issuingCert,
        "-CAkey",
        store.paths.issuingKey,
        "-set_serial",
        serial,
        "-days",
        "365",
        "-sha256",
        "-out",
        join(out, `${name}.pem`),
      ],
      { stdio: "ignore" },
    );
  });
}

console.log(`moat pki bench: Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)} at start`);
const csrs = Array.from({ length: BULK_COUNT }, (_, i) =>
  buildCsr({ commonName: `device-${i}`, ...generateKeyPairSync("ec", { namedCurve: "P-256" }) }),
);
for (const keyType of ["p256", "rsa2048"] as const) benchKeyType(keyType, csrs);
if (SCALE_COUNT > 0) scale();
console.log(
  `\nload average ${os.loadavg()[0].toFixed(2)} at end (other processes on the machine skew every rate alike; compare the ratios)`,
);
