import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parseTopicModel, TopicModel } from "../../authz";
import { IotPolicyTarget } from "../../authz";

export const FIXTURE_FILE = path.join(__dirname, "fixtures", "topics.yaml");

/** The raw `topics:` section of the fixture (a fresh copy each call, safe to mutate). */
export function fixtureTopics(): { classes: Record<string, Record<string, unknown>> } {
  return yaml.load(fs.readFileSync(FIXTURE_FILE, "utf8")) as { classes: Record<string, Record<string, unknown>> };
}

export function fixtureModel(): TopicModel {
  return parseTopicModel(fixtureTopics(), "topics.yaml");
}

export const TARGET: IotPolicyTarget = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "123456789012",
  sourceVpceId: "vpce-0123456789abcdef0",
};
