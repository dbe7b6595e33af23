import { join } from "node:path";
import { loadEnvironment } from "../../config";
import { environmentNameProblem, environmentStackName, stackEnvironment } from "../../core/names";
import { pkiPaths } from "../../pki/paths";
import { planStackName } from "../../review/load-plan";
import { devDocument, environmentsDir } from "../support/environment-files";
import { scratchDir } from "../support/scratch";

const VALID = ["dev", "prod-eu-2", "a", "a" + "b".repeat(30)];
const INVALID = ["Dev", "dev_1", "1dev", "-dev", "../x", "", "a" + "b".repeat(31), "dev.yaml", "dev prod"];

/** A plan whose provider tags its resources with `MoatEnvironment: name`, as moat's stacks do. */
function planTagged(name: string): unknown {
  const tags = { constant_value: { MoatEnvironment: name } };
  return { configuration: { provider_config: { aws: { expressions: { default_tags: [{ tags }] } } } } };
}

/** The problem `action` throws, or undefined when it does not throw. */
function thrown(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("environment names: one rule for the loader, the PKI store and the review's stack names", () => {
  const envs = environmentsDir(Object.fromEntries(VALID.map((name) => [name, devDocument()])));
  const pkiDir = scratchDir("moat-names-");

  test.each(VALID)("%j is an environment name everywhere", (name) => {
    expect(environmentNameProblem(name)).toBeUndefined();
    expect(loadEnvironment(name, { dir: envs }).name).toBe(name);
    expect(pkiPaths(pkiDir, name).envDir).toBe(join(pkiDir, name));
    expect(stackEnvironment(environmentStackName(name))).toBe(name);
    expect(planStackName(planTagged(name))).toBe(`iot-${name}`);
  });

  test.each(INVALID)("%j is refused everywhere with the same line", (name) => {
    const problem = environmentNameProblem(name);
    expect(problem).toBe(
      `environment name ${JSON.stringify(name)} is not valid; use 1-31 lowercase letters, digits and '-', starting with a letter`,
    );
    expect(thrown(() => loadEnvironment(name, { dir: envs }))).toBe(problem);
    expect(thrown(() => pkiPaths(pkiDir, name))).toBe(problem);
    expect(stackEnvironment(`iot-${name}`)).toBeUndefined();
    expect(planStackName(planTagged(name))).toBeUndefined();
  });

  test("a stack that is not an environment's has none", () => {
    expect(stackEnvironment("network-shared")).toBeUndefined();
    expect(stackEnvironment("iot-")).toBeUndefined();
  });
});
