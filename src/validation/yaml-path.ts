// Field paths (`spec.actors[0].rate`) and where they are in a YAML document.
import { isMap, isScalar, isSeq, type Node } from 'yaml';

/** Keys of mappings as strings, indices of lists as numbers. */
export type Path = readonly PropertyKey[];

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/;

/** `['spec', 'actors', 0, 'rate']` → `spec.actors[0].rate`; odd keys as `labels["a.b/c"]`. */
export function formatPath(path: Path): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (!PLAIN_KEY.test(name)) return `[${JSON.stringify(name)}]`;
      return i === 0 ? name : `.${name}`;
    })
    .join('');
}

const SEGMENT = /(^|\.)([A-Za-z_][\w-]*)|\[(\d+)\]/y;

/** The inverse of `formatPath` for plain keys and indices; undefined when `text` is not one. */
export function parsePath(text: string): Path | undefined {
  const path: PropertyKey[] = [];
  const segment = new RegExp(SEGMENT);
  while (segment.lastIndex < text.length) {
    const match = segment.exec(text);
    if (!match) return undefined;
    const [, dot, key, index] = match;
    if (key === undefined) path.push(Number(index));
    else if ((dot === '.') === path.length > 0) path.push(key);
    else return undefined;
  }
  return path.length > 0 ? path : undefined;
}

/**
 * The nodes along `path` from `root`, as deep as the document goes: `found` counts the path
 * segments that exist, `node` is the last node reached (null for an empty value) and `key`
 * the mapping key of the last segment found, if it was one.
 */
export function findNode(
  root: Node | null,
  path: Path,
): { found: number; node: Node | null; key: Node | null } {
  let node = root;
  let key: Node | null = null;
  let found = 0;
  for (const segment of path) {
    if (isMap(node) && typeof segment === 'string') {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === segment,
      );
      if (!pair) break;
      key = pair.key as Node;
      node = isEmpty(pair.value) ? null : (pair.value as Node);
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      key = null;
      node = isEmpty(node.items[segment]) ? null : (node.items[segment] as Node);
    } else {
      break;
    }
    found += 1;
  }
  return { found, node, key };
}

/** `key:` with nothing after it, or `- ` with nothing after it. */
function isEmpty(node: unknown): boolean {
  return node == null || (isScalar(node) && node.range?.[0] === node.range?.[1]);
}
