import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "docs/**", "broker/http/dashboard/dist/**", "bench/results/**", ".data/**", "test-results/**", ".scratch/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": "off",
    },
  },
  {
    // the architecture's boundaries (ARCHITECTURE.md): shared imports neither side, sides never import each other, product code never imports sim
    files: ["shared/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/agent/**", "**/broker/**", "**/sim/**"] }] },
  },
  {
    files: ["agent/**/*.ts"],
    ignores: ["agent/**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/broker/**", "**/sim/**"] }] },
  },
  {
    files: ["broker/**/*.ts"],
    ignores: ["broker/**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/agent/**", "**/sim/**"] }] },
  },
  {
    // SQLite plans a bare bound `LIMIT ?` / `OFFSET ?` again on every call (broker/store/sqlite/queries.ts)
    files: ["broker/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "Literal[value=/\\b(LIMIT|OFFSET)\\s+\\?/i]", message: "write a bound LIMIT/OFFSET as ${LIMIT}/${OFFSET} from broker/store/sqlite/queries.ts: SQLite re-plans a bare `LIMIT ?` on every call" },
        { selector: "TemplateElement[value.raw=/\\b(LIMIT|OFFSET)\\s+\\?/i]", message: "write a bound LIMIT/OFFSET as ${LIMIT}/${OFFSET} from broker/store/sqlite/queries.ts: SQLite re-plans a bare `LIMIT ?` on every call" },
      ],
    },
  },
);
