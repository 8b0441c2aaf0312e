/**
 * yargs reads an option value that starts with "-" as more options: `--duration -5s` became
 * "Unknown arguments: 5, s", which says nothing about the duration. Joining such a value to its
 * option (`--duration=-5s`) lets the option's own check say what is wrong with it. Only values
 * that start with "-" and a digit are joined: a real option never does.
 */
export function joinNegativeValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--') return [...joined, ...args.slice(i)];
    if (/^--[^=]+$/.test(arg) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}
