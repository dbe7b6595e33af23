import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { sharedBuild } from "../support/built-package";
import { ROOT } from "../support/run-moat";
import { scratchDir } from "../support/scratch";

/**
 * What a platform team does: `npm pack` moat, install the tarball in its own cdktf app outside
 * this repository, and compose the constructs exactly as docs/composition.md shows. The app gets
 * cdktf, constructs and the provider from the shared install (they are peer dependencies); moat
 * itself comes only from the tarball.
 */
const NODE_MODULES = fs.realpathSync(path.join(ROOT, "node_modules"));
const TSC = path.join(NODE_MODULES, ".bin", "tsc");
const DOC = path.join(ROOT, "docs", "composition.md");
/** What git tracks under environments/: exactly what the package must ship there (package.json `files` lists them). */
const TRACKED_ENVIRONMENT_FILES = execFileSync("git", ["ls-files", "environments"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter(Boolean)
  .sort();

/** A child sees only what the test gives it: never the caller's MOAT_* settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("MOAT_")));
  return { ...env, CHECKPOINT_DISABLE: "1" };
}

/** The first TypeScript block after the composition-example marker: the program users copy. */
function compositionExample(): string {
  const text = fs.readFileSync(DOC, "utf8");
  const match = /<!-- composition-example -->\s*```ts\n([\s\S]*?)```/.exec(text);
  if (!match) throw new Error(`${DOC}: no composition example`);
  return match[1];
}

/** The example without its `network` line. */
function exampleWithoutNetwork(): string {
  return compositionExample().replace(/\n\s*network,\n/, "\n");
}

const PEER_PROGRAM = `import { MoatError, Peer, ValidationError } from "moat";
try {
  Peer.ipv4("0.0.0.0/0");
} catch (err) {
  console.log(err instanceof ValidationError, err instanceof MoatError, (err as Error).message);
}
`;

let tmp: string;
let tarball: string;
let packedFiles: string[];
/** What `tsc` printed compiling the consumer apps (all of them in one `tsc -b`: the libraries' types are read once). */
let compilerOutput: string;

beforeAll(() => {
  tmp = scratchDir("moat-consumer-");
  // The repository's files as git knows them (a stray local file must not be packed), plus one
  // untracked environment file that `files` must leave out.
  const staging = path.join(tmp, "moat-src");
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const file of files) {
    fs.mkdirSync(path.join(staging, path.dirname(file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(staging, file));
  }
  fs.writeFileSync(path.join(staging, "environments", "scratch-untracked.yaml"), "name: scratch\n");
  fs.symlinkSync(NODE_MODULES, path.join(staging, "node_modules"));
  // For a publish, `npm pack` runs the prepare script, the build. That build is made once per
  // source tree for every test that needs it (test/support/built-package.ts runs the same
  // `tsc -p tsconfig.build.json`), so it is placed where prepare writes it and pack skips scripts;
  // the manifest is checked to say so, so a prepare that stops being that build is noticed.
  expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.prepare).toBe("tsc -p tsconfig.build.json");
  fs.cpSync(path.join(sharedBuild(), "dist"), path.join(staging, "dist"), { recursive: true });
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], {
      cwd: staging,
      encoding: "utf8",
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(tmp, packed[0].filename);
  packedFiles = packed[0].files.map((f) => f.path);

  const programs = [compositionExample(), exampleWithoutNetwork(), PEER_PROGRAM];
  const apps = APPS.map((name, i) => consumerApp(name, programs[i]));
  const compiled = spawnSync(TSC, ["-b", ...apps], { cwd: tmp, encoding: "utf8" });
  compilerOutput = compiled.stdout + compiled.stderr;
}, 240_000);

/** A consumer app: its node_modules links the shared install, and moat is the extracted tarball. */
function consumerApp(name: string, program: string): string {
  const app = path.join(tmp, name);
  const modules = path.join(app, "node_modules");
  fs.mkdirSync(path.join(modules, "moat"), { recursive: true });
  for (const entry of fs.readdirSync(NODE_MODULES)) {
    if (entry !== "moat" && !entry.startsWith(".")) fs.symlinkSync(path.join(NODE_MODULES, entry), path.join(modules, entry));
  }
  execFileSync("tar", ["-xzf", tarball, "-C", path.join(modules, "moat"), "--strip-components=1"]);
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name, private: true }));
  fs.writeFileSync(
    path.join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "node16",
        moduleResolution: "node16",
        strict: true,
        skipLibCheck: true,
        types: ["node"],
      },
      files: ["main.ts"],
    }),
  );
  fs.writeFileSync(path.join(app, "main.ts"), program);
  // The CA's public certificates where the example reads them (the committed test CA).
  const ca = path.join(app, ".pki", "prod");
  fs.mkdirSync(path.join(ca, "ca"), { recursive: true });
  fs.mkdirSync(path.join(ca, "aws"), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "test", "fixtures", "pki", "dev", "ca", "issuing.pem"), path.join(ca, "ca", "issuing.pem"));
  fs.copyFileSync(path.join(ROOT, "test", "fixtures", "pki", "dev", "aws", "verification.pem"), path.join(ca, "aws", "verification.pem"));
  return app;
}

const APPS = ["consumer", "consumer-no-network", "consumer-peer"];

/** What the compiler said about one app: its own lines, and any that name no app (the build as a whole). */
function compilerOutputOf(app: string): string {
  const name = path.basename(app);
  return compilerOutput
    .split(/(?<=\n)/)
    .filter((line) => line.startsWith(`${name}/`) || !APPS.some((other) => line.startsWith(`${other}/`)))
    .join("");
}

/** Runs an app the first beforeAll compiled, after checking the compiler said nothing about it. */
function compileAndSynth(app: string, env: Record<string, string> = {}) {
  expect(compilerOutputOf(app)).toBe("");
  const synth = spawnSync(process.execPath, ["main.js"], { cwd: app, encoding: "utf8", env: { ...cleanEnv(), ...env } });
  return { ...synth, json: () => JSON.parse(fs.readFileSync(path.join(app, "cdktf.out", "stacks", "fleet", "cdk.tf.json"), "utf8")) };
}

function packedMoat(app: string, args: string[]) {
  return spawnSync(process.execPath, [path.join(app, "node_modules", "moat", "bin", "moat-cli.cjs"), ...args], {
    cwd: app,
    encoding: "utf8",
    env: cleanEnv(),
  });
}

type Rules = Record<string, Record<string, unknown>>;

describe("moat packed with npm pack and installed from the tarball in an app outside the repository", () => {
  test("the tarball holds the build, the launcher and the tracked environment files only: no TypeScript source, no untracked file", () => {
    expect(packedFiles).toContain("dist/index.js");
    expect(packedFiles).toContain("dist/pki/index.d.ts");
    expect(packedFiles).toContain("bin/moat-cli.cjs");
    expect(packedFiles.filter((f) => f.startsWith("environments/")).sort()).toEqual(TRACKED_ENVIRONMENT_FILES);
    expect(packedFiles.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f))).toEqual([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    for (const peer of ["cdktf", "constructs", "@cdktf/provider-aws"]) {
      expect(manifest.peerDependencies[peer]).toBeDefined();
      expect(manifest.dependencies[peer]).toBeUndefined();
    }
  });

  describe("an app composing the constructs exactly as docs/composition.md shows", () => {
    let app: string;
    let json: { resource: Record<string, Rules> };
    beforeAll(() => {
      app = path.join(tmp, "consumer");
      const synth = compileAndSynth(app);
      expect(synth.stderr).toBe("");
      expect(synth.status).toBe(0);
      json = synth.json();
    }, 120_000);

    test("compiles and synthesizes, and its devices can reach the broker on TCP 8883 and nowhere else", () => {
      const egress = Object.values(json.resource.aws_vpc_security_group_egress_rule ?? {});
      const deviceGroup = Object.keys(json.resource.aws_security_group).find((k) => k.includes("devices"));
      const endpointGroup = Object.keys(json.resource.aws_security_group).find((k) => k.includes("endpoint"));
      expect(deviceGroup).toBeDefined();
      expect(endpointGroup).toBeDefined();
      // Devices: one egress rule, to the endpoint's group, TCP 8883.
      expect(egress).toEqual([
        expect.objectContaining({
          security_group_id: `\${aws_security_group.${deviceGroup}.id}`,
          referenced_security_group_id: `\${aws_security_group.${endpointGroup}.id}`,
          ip_protocol: "tcp",
          from_port: 8883,
          to_port: 8883,
        }),
      ]);
      // Endpoint: TCP 8883 in from each device subnet.
      const ingress = Object.values(json.resource.aws_vpc_security_group_ingress_rule ?? {});
      expect(ingress.map((r) => [r.security_group_id, r.cidr_ipv4, r.from_port, r.to_port])).toEqual([
        [`\${aws_security_group.${endpointGroup}.id}`, "10.42.0.0/20", 8883, 8883],
        [`\${aws_security_group.${endpointGroup}.id}`, "10.42.16.0/20", 8883, 8883],
      ]);
      // The stateless ACLs pass the same flow.
      const allows = Object.values(json.resource.aws_network_acl_rule).filter((r) => r.rule_action === "allow" && r.from_port === 8883);
      expect(allows.map((r) => [r.egress, r.cidr_block]).sort()).toEqual([
        [false, "10.42.0.0/20"],
        [false, "10.42.16.0/20"],
        [true, "10.42.240.0/26"],
        [true, "10.42.240.64/26"],
      ]);
      // The network's rejected-MQTT alarm pages the broker's alarm topic.
      const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm).filter(
        (a) => String(a.alarm_name ?? "").includes("rejected") || String(a.metric_name ?? "").includes("Rejected"),
      );
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) expect(JSON.stringify(alarm.alarm_actions)).toContain("aws_sns_topic");
    });

    test("the packed moat reviews its stack with no environment file: office networks and device subnets from flags or a context file", () => {
      const stackDir = path.join("cdktf.out", "stacks", "fleet");
      const flags = packedMoat(app, [
        "review",
        stackDir,
        "--office-cidr",
        "192.168.0.0/16",
        "--device-subnet",
        "10.42.0.0/20",
        "--device-subnet",
        "10.42.16.0/20",
      ]);
      expect(flags.stderr).toBe("");
      expect(flags.stdout).not.toMatch(/unknown|office CIDRs are not known/);
      expect(flags.status).toBe(0);

      fs.writeFileSync(
        path.join(app, "review-context.yaml"),
        "officeCidrs: [192.168.0.0/16]\ndeviceSubnets: [10.42.0.0/20, 10.42.16.0/20]\n",
      );
      const file = packedMoat(app, ["review", stackDir, "--context", "review-context.yaml"]);
      expect(file.status).toBe(0);
      expect(file.stdout).toBe(flags.stdout);

      // Without them the office check cannot be made: a blocking unknown, not a pass.
      const bare = packedMoat(app, ["review", stackDir]);
      expect(bare.status).toBe(1);
      expect(bare.stdout).toContain("office CIDRs are not known");

      const typo = packedMoat(app, ["review", stackDir, "--office-cidr", "192.168.0.0/33"]);
      expect(typo).toMatchObject({
        status: 2,
        stdout: "",
        stderr: 'moat review: --office-cidr: "192.168.0.0/33" is not a CIDR (the prefix must be 0-32)\n',
      });
    });

    test("the packed CLI runs from dist/ and answers --version with the package's version", () => {
      const version = packedMoat(app, ["--version"]);
      expect(version).toMatchObject({
        status: 0,
        stdout: `moat ${JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version}\n`,
      });
    });
  });

  test("an example that leaves out `network` gives the devices no egress rule, synth says so, and the review at synth stops the unwired alarm", () => {
    expect(exampleWithoutNetwork()).not.toBe(compositionExample());
    const app = path.join(tmp, "consumer-no-network");
    expect(fs.readFileSync(path.join(app, "main.ts"), "utf8")).toBe(exampleWithoutNetwork());
    // The flow-log alarm is wired to the broker's topic only through `network`: without it, it tells no one (LOG-5 blocks).
    const stopped = compileAndSynth(app);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toMatch(
      /LOG-5 aws_cloudwatch_metric_alarm\.iot_flow-logs_rejected-mqtt-alarm_[0-9A-F]+: no alarm_actions: the alarm tells no one/,
    );
    expect(stopped.stderr).toContain("MOAT_REVIEW_AT_SYNTH=report");

    const synth = compileAndSynth(app, { MOAT_REVIEW_AT_SYNTH: "report" });
    expect(synth.status).toBe(0);
    expect(synth.json().resource.aws_vpc_security_group_egress_rule).toBeUndefined();
    // `cdktf synth` prints the manifest's warnings.
    const manifest = JSON.parse(fs.readFileSync(path.join(app, "cdktf.out", "manifest.json"), "utf8"));
    expect(manifest.stacks.fleet.annotations).toContainEqual(
      expect.objectContaining({
        level: "@cdktf/warn",
        message:
          "IotCoreBroker broker: no device security group can reach the endpoint; pass network (your IsolatedIotNetwork) or call allowDevices(group)",
      }),
    );
  });

  test("user code that passes 0.0.0.0/0 to Peer.ipv4 gets the one ValidationError type moat exports, not a plain Error", () => {
    const app = path.join(tmp, "consumer-peer");
    expect(compilerOutputOf(app)).toBe("");
    const run = spawnSync(process.execPath, ["main.js"], { cwd: app, encoding: "utf8" });
    expect(run.stdout).toBe('true true peer 0.0.0.0/0: "0.0.0.0/0" means the whole Internet; name the device subnets instead\n');
  });
});
