import tseslint from "typescript-eslint";

/**
 * The layers, bottom first. An import may only point down:
 *   core/ (and errors.ts)  <-  config/, authz/, pki/, review/, flows/  <-  constructs/, lab/  <-  stacks/, bin/, index.ts
 * core/ is what every folder shares and it imports no moat folder. The middle layer is plain
 * TypeScript that runs without cdktf (the CLI's review, pki and flows never load it).
 */
const CDKTF_PACKAGES = [
  { regex: "^(cdktf|constructs)(/.*)?$", message: "This layer runs without cdktf: move the cdktf part to constructs/ or stacks/." },
  { regex: "^@cdktf/", message: "This layer runs without cdktf: move the cdktf part to constructs/ or stacks/." },
];

/** A relative import that reaches one of `folders` at the top of the repository. */
function intoFolders(folders, message) {
  return { regex: `^(\\.\\./)+(${folders.join("|")})(/.*)?$`, message };
}

/** One block per layer; the typescript-eslint form of no-restricted-imports so `import type` can be allowed. */
function layer(files, patterns) {
  return { files, rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns }] } };
}

const UPPER = "points up the layers (core <- config, authz, pki, review, flows <- constructs, lab <- stacks, bin)";

/**
 * One test-title style (docs/testing.md): `test(...)` and `describe(...)` with a plain sentence that says the behaviour.
 * The first argument of any call is checked, so wrappers such as `lab.describe` and `const run = available ? test : test.skip` are too.
 */
const TITLE_MESSAGE = "Write the title as a plain sentence that says the behaviour, without GIVEN/WHEN/THEN (docs/testing.md).";
const BDD_TITLE = "/^\\s*(GIVEN|WHEN|THEN)\\b/";
const TEST_STYLE = {
  "no-restricted-globals": [
    "error",
    ...["it", "fit", "xit"].map((name) => ({ name, message: `Use test(...) / test.each(...), not ${name}(...) (docs/testing.md).` })),
  ],
  "no-restricted-syntax": [
    "error",
    { selector: `CallExpression > Literal.arguments:first-child[value=${BDD_TITLE}]`, message: TITLE_MESSAGE },
    {
      selector: `CallExpression > TemplateLiteral.arguments:first-child > TemplateElement.quasis:first-child[value.raw=${BDD_TITLE}]`,
      message: TITLE_MESSAGE,
    },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "cdktf.out/**", "coverage/**", ".pki/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // The provider barrel loads every resource module of the provider, which multiplies synth time and memory.
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@cdktf/provider-aws",
              message: "Import the resource by deep path, e.g. @cdktf/provider-aws/lib/vpc (the barrel costs ~10x synth time and memory).",
            },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  layer(
    ["core/**/*.ts", "errors.ts"],
    [...CDKTF_PACKAGES, { regex: "^\\.\\./(?!errors$)", message: `core/ imports no other moat folder: ${UPPER}.` }],
  ),
  layer(
    ["config/**/*.ts", "authz/**/*.ts", "pki/**/*.ts", "review/**/*.ts", "flows/**/*.ts"],
    [...CDKTF_PACKAGES, intoFolders(["constructs", "stacks", "bin", "lab"], `This import ${UPPER}.`)],
  ),
  layer(
    ["constructs/**/*.ts"],
    [
      intoFolders(["stacks", "bin", "lab"], `This import ${UPPER}.`),
      {
        ...intoFolders(
          ["review"],
          "constructs/ may use review/ types only; review code at synth belongs in constructs/review/ (the aspect).",
        ),
        allowTypeImports: true,
      },
    ],
  ),
  // The aspect runs the review engine at synth: the one construct that needs review/ code.
  layer(["constructs/review/**/*.ts"], [intoFolders(["stacks", "bin", "lab"], `This import ${UPPER}.`)]),
  layer(["lab/**/*.ts"], [intoFolders(["constructs", "stacks", "bin"], `This import ${UPPER}.`)]),
  {
    // Tests read synthesized Terraform JSON, which has no static type.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  { files: ["test/**/*.ts"], rules: TEST_STYLE },
);
