import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AwsStub } from "./aws-stub";
import { checkVariables, initStackDir } from "./stack-dir";
import { TerraformCli } from "./terraform-cli";

type Json = Record<string, any>;

/**
 * What a real `terraform plan` needs to run offline, as an override file beside the stack: the
 * provider must not look for credentials, an account id or the instance metadata service.
 * Credentials and the endpoints of the stub come from the environment (see {@link offlineCli}),
 * so the plan JSON holds neither a key nor the stub's port.
 */
const OFFLINE_OVERRIDE = {
  provider: { aws: { skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true } },
};

/** A Terraform CLI whose AWS calls go to the stub, with static fake credentials. */
export function offlineCli(stub: AwsStub): TerraformCli {
  return new TerraformCli({
    AWS_ACCESS_KEY_ID: "AKIAMOATOFFLINEPLAN1",
    AWS_SECRET_ACCESS_KEY: "moat-offline-plan-fake-secret",
    AWS_ENDPOINT_URL_STS: stub.url,
    AWS_ENDPOINT_URL_IOT: stub.url,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  });
}

/**
 * `terraform show -json` of a real plan of `stack` (a cdk.tf.json), made with the mirror's
 * provider against the stub. With `state`, the plan is an update of that applied state and
 * does not refresh it (there is no AWS to read it back from). `files` go beside the stack.
 */
export async function offlinePlan(
  cli: TerraformCli,
  stub: AwsStub,
  name: string,
  stack: Json,
  state?: Json,
  files: Record<string, string> = {},
): Promise<{ plan: Json; dir: string }> {
  const dir = await initStackDir(cli, name, stack, files);
  writeFileSync(join(dir, "offline_override.tf.json"), JSON.stringify(OFFLINE_OVERRIDE, null, 2));
  if (state) writeFileSync(join(dir, "terraform.tfstate"), JSON.stringify(state, null, 2));
  const variables = Object.entries(checkVariables(stack)).flatMap(([k, v]) => ["-var", `${k}=${String(v)}`]);
  const refused = stub.refused.length;
  const run = await cli.run(dir, [
    "plan",
    "-input=false",
    "-no-color",
    "-lock=false",
    "-out=plan.bin",
    ...(state ? ["-refresh=false"] : []),
    ...variables,
  ]);
  if (run.code !== 0) {
    const calls = stub.refused.slice(refused);
    throw new Error(`terraform plan of ${name} failed${calls.length ? ` (the stub refused: ${calls.join("; ")})` : ""}:\n${run.stderr}`);
  }
  const shown = await cli.expectSuccess(dir, ["show", "-json", "-no-color", "plan.bin"], `show of ${name}`);
  return { plan: JSON.parse(shown.stdout), dir };
}
