import { ConfigError } from "./config-file.ts";

/**
 * Runs a command-line entry point the same way for both programs (STYLE.md practice 6): the exit code
 * comes from `main` (-1: a service that keeps running); a configuration or usage error prints its
 * sentence and exits 2; an error meant for people (listed in `userErrors`) prints its sentence and exits
 * 1; anything else prints one line, with the stack trace only under --debug.
 */
export function runMain(name: string, main: (argv: string[]) => Promise<number>, userErrors: readonly (abstract new (...args: never[]) => Error)[] = []): void {
  const debug = process.argv.includes("--debug");
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== -1) process.exitCode = code;
    },
    (err: Error & { code?: string }) => {
      if (err instanceof ConfigError || err.code?.startsWith("ERR_PARSE_ARGS")) {
        console.error(err.message);
        process.exitCode = 2;
        return;
      }
      console.error(userErrors.some((E) => err instanceof E) ? err.message : `${name} failed: ${err.message}`);
      if (debug) console.error(err.stack);
      process.exitCode = 1;
    },
  );
}
