// Command-line flags as `--flag value` or `--flag=value`, shared by the server and its subcommands.

/**
 * Calls `visit` for each flag; a flag that takes a value reads it with `value()`, which takes the text
 * after `=` or the next argument, and throws `missing(flag)` when there is none.
 */
export function eachFlag(argv: readonly string[], missing: (flag: string) => Error, visit: (flag: string, value: () => string, arg: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
    visit(
      flag,
      () => {
        const v = inline ?? argv[++i];
        if (v === undefined) throw missing(flag);
        return v;
      },
      arg,
    );
  }
}
