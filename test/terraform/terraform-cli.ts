import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIRROR_PROVIDER_VERSION } from "./provider-translations";

/** Where the machine image keeps hashicorp/aws; `MOAT_TF_MIRROR` points elsewhere. */
export const MIRROR = process.env.MOAT_TF_MIRROR ?? "/opt/tf-plugins";

/** Why Terraform checks cannot run here, or undefined when terraform and the mirror are present. */
export function terraformMissing(): string | undefined {
  const version = spawnSync("terraform", ["version", "-json"], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (version.error || version.status !== 0) return "no terraform on PATH";
  const provider = join(MIRROR, "registry.terraform.io", "hashicorp", "aws", MIRROR_PROVIDER_VERSION);
  if (!existsSync(provider)) return `no hashicorp/aws ${MIRROR_PROVIDER_VERSION} in the provider mirror ${provider} (set MOAT_TF_MIRROR)`;
  return undefined;
}

export interface TerraformRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Terraform with a CLI configuration of its own: providers come from the filesystem mirror only
 * (nothing is downloaded, whatever TF_CLI_CONFIG_FILE says on this machine), no call-home.
 */
export class TerraformCli {
  private readonly root = mkdtempSync(join(tmpdir(), "moat-terraform-"));
  private readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    const config = join(this.root, "cli.tfrc");
    writeFileSync(config, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(MIRROR)}\n  }\n}\n`);
    this.env = { ...process.env, TF_CLI_CONFIG_FILE: config, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0", ...extraEnv };
  }

  /** A fresh directory under this CLI's temp root. */
  workDir(name: string): string {
    return mkdtempSync(join(this.root, `${name}-`));
  }

  run(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<TerraformRun> {
    return new Promise((resolve, reject) => {
      const child = spawn("terraform", args, { cwd: dir, env: { ...this.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => err.push(c));
      child.on("error", reject);
      child.on("close", (code) =>
        resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
      );
    });
  }

  /** Runs terraform and throws, with its output, unless it exits 0. */
  async expectSuccess(dir: string, args: readonly string[], what: string, env: NodeJS.ProcessEnv = {}): Promise<TerraformRun> {
    const run = await this.run(dir, args, env);
    if (run.code !== 0)
      throw new Error(`${what}: terraform ${args.join(" ")} exited ${run.code} in ${dir}\n${run.stderr}${run.stdout}`.trim());
    return run;
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
