// Command-line overrides, applied to the YAML document before validation so that they are
// validated exactly like the file.
import { isMap, isSeq, type Document } from 'yaml';
import { gotOf, type Problem } from '../validation/problems.js';
import type { AppliedEdit } from '../validation/validate.js';
import { parseYaml, plainValue } from '../validation/yaml-load.js';
import { findNode, formatPath, parsePath } from '../validation/yaml-path.js';

export interface Overrides {
  /** `--duration 5s`: replaces spec.duration. */
  duration?: string;
  /**
   * `--namespace NS`: replaces spec.namespace, the namespace of the load and of fixtures that
   * name none, as kubectl's --namespace replaces the namespace requests go to.
   */
  namespace?: string;
  /**
   * `--set path=value`, applied in order after `duration`. The path uses the same form as
   * problem messages: keys joined by dots, list entries by index (`spec.actors[0].rate=50/s`).
   * The value is read as YAML (`3` is a number, `50/s` a string). Every mapping and list on
   * the way must exist in the file; the last key may be new.
   */
  set?: readonly string[];
}

/** An override that was applied: problems at or under `path` are reported against `flag`. */
export interface AppliedOverride extends AppliedEdit {
  flag: '--duration' | '--namespace' | '--set';
}

export function applyOverrides(
  doc: Document,
  overrides: Overrides,
): { applied: AppliedOverride[]; problems: Problem[] } {
  const applied: AppliedOverride[] = [];
  const problems: Problem[] = [];
  const fail = (flag: AppliedOverride['flag'], path: string, message: string, got = '') =>
    problems.push({ file: flag, line: 0, column: 0, path, message, ...gotOf(got) });

  const apply = (override: AppliedOverride) => {
    const { flag, path, text } = override;
    // Read with the limits of any YAML input: a value can be an alias bomb as well as a file.
    const value = parseYaml(text, flag);
    if (!value.ok) {
      const [problem] = value.problems;
      return fail(flag, formatPath(path), `is not valid YAML: ${problem?.message}`, text);
    }
    const node = doc.createNode(plainValue(value.doc));
    const parentPath = path.slice(0, -1);
    const last = path.at(-1);
    const { found, node: parent } = findNode(doc.contents, parentPath);
    const target = found === parentPath.length ? parent : null;
    if (isMap(target) && typeof last === 'string') {
      target.set(last, node);
    } else if (isSeq(target) && typeof last === 'number' && last < target.items.length) {
      target.set(last, node);
    } else {
      return fail(
        flag,
        formatPath(path),
        `${formatPath(path.slice(0, found + 1))} does not exist in the file`,
      );
    }
    applied.push(override);
  };

  if (overrides.duration !== undefined) {
    apply({ flag: '--duration', path: ['spec', 'duration'], text: overrides.duration });
  }
  if (overrides.namespace !== undefined) {
    // A string whatever it looks like (`123`, `null`): the schema then says what is wrong with it.
    const text = JSON.stringify(overrides.namespace);
    apply({ flag: '--namespace', path: ['spec', 'namespace'], text });
  }
  for (const entry of overrides.set ?? []) {
    const separator = entry.indexOf('=');
    const path = separator > 0 ? parsePath(entry.slice(0, separator)) : undefined;
    if (path === undefined) {
      fail('--set', '', 'must be path=value with a path such as spec.actors[0].rate', entry);
    } else {
      apply({ flag: '--set', path, text: entry.slice(separator + 1) });
    }
  }
  return { applied, problems };
}
