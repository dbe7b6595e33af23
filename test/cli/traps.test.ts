// The CLI's traps: stale code, a closed pipe, the version, the caller's environment.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../support/run-moat";

const LAUNCHER = path.join(ROOT, "bin", "moat-cli.cjs");
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version as string;

/** Only what the test gives: the caller's MOAT_* settings never reach the child. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MOAT_"))), ...extra };
}

describe("the moat launcher never runs stale code", () => {
  let tmp: string;
  beforeAll(() => {
    // A checkout in miniature: the real launcher, a source entry and an older dist/ that disagree.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "moat-launcher-"));
    fs.mkdirSync(path.join(tmp, "bin"));
    fs.mkdirSync(path.join(tmp, "dist", "bin"), { recursive: true });
    fs.copyFileSync(LAUNCHER, path.join(tmp, "bin", "moat-cli.cjs"));
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(tmp, "node_modules"));
    const entry = (said: string) =>
      `export function runCli(): void { process.stdout.write(${JSON.stringify(said)} + process.argv.slice(2).join(" ") + "\\n"); }\nif (require.main === module) runCli();\n`;
    fs.writeFileSync(path.join(tmp, "bin", "moat.ts"), entry("source: "));
    fs.writeFileSync(
      path.join(tmp, "dist", "bin", "moat.js"),
      `exports.runCli = () => process.stdout.write("dist: " + process.argv.slice(2).join(" ") + "\\n");\n`,
    );
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("in a checkout (the TypeScript source beside the launcher) the source runs, never the dist/ built earlier", () => {
    const run = spawnSync(process.execPath, [path.join(tmp, "bin", "moat-cli.cjs"), "synth", "--env", "dev"], {
      encoding: "utf8",
      env: env(),
    });
    expect(run).toMatchObject({ status: 0, stdout: "source: synth --env dev\n", stderr: "" });
  });

  test("in an installed package (no source shipped) the packed dist/ runs", () => {
    fs.rmSync(path.join(tmp, "bin", "moat.ts"));
    const run = spawnSync(process.execPath, [path.join(tmp, "bin", "moat-cli.cjs"), "review"], { encoding: "utf8", env: env() });
    expect(run).toMatchObject({ status: 0, stdout: "dist: review\n", stderr: "" });
  });
});

describe("moat through its launcher", () => {
  test("output piped into a reader that has gone (moat pki --help | true) ends quietly: no EPIPE stack trace", () => {
    const run = spawnSync("bash", ["-c", `"${process.execPath}" "${LAUNCHER}" pki --help | true; echo "exit=\${PIPESTATUS[0]}"`], {
      cwd: ROOT,
      encoding: "utf8",
      env: env(),
    });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("exit=0\n");
  });

  test("--version prints the package's version", () => {
    const run = spawnSync(process.execPath, [LAUNCHER, "--version"], { cwd: ROOT, encoding: "utf8", env: env() });
    expect(run).toMatchObject({ status: 0, stdout: `moat ${VERSION}\n`, stderr: "" });
  });

  test("MOAT_PKI_DIR makes moat pki use that store, as synth does", () => {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "moat-store-"));
    const run = spawnSync(process.execPath, [LAUNCHER, "pki", "list", "--env", "dev"], {
      cwd: ROOT,
      encoding: "utf8",
      env: env({ MOAT_PKI_DIR: store }),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `moat pki: no CA for environment 'dev' in ${path.join(store, "dev")}; run 'moat pki init --env dev' first (or check --pki-dir)\n`,
    );
    fs.rmSync(store, { recursive: true, force: true });
  });

  test("the top-level help names every subcommand, --version and per-command help", () => {
    const run = spawnSync(process.execPath, [LAUNCHER, "--help"], { cwd: ROOT, encoding: "utf8", env: env() });
    for (const word of ["verification-cert", "publish", "reload", "--version", "'moat <command> <subcommand> --help'"])
      expect(run.stdout).toContain(word);
  });
});
