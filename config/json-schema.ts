import { environmentSchema } from "./schema";

/** JSON Schema (draft 2020-12) for editors, derived from the same declaration as the validator. */
export function environmentJsonSchema(): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://github.com/moat-iot/moat/environments/environment.schema.json",
    title: "moat environment",
    ...environmentSchema.jsonSchema(),
  };
}

/** The schema file's exact content, so a test can compare it with what is committed. */
export function environmentJsonSchemaText(): string {
  return JSON.stringify(environmentJsonSchema(), null, 2) + "\n";
}
