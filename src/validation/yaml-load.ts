// The one way input YAML is parsed: with limits, so that a hostile file (an alias bomb, deep
// nesting, several documents) gets a located problem instead of exhausting memory or the stack.
import {
  Composer,
  isAlias,
  isCollection,
  isPair,
  isScalar,
  LineCounter,
  Parser,
  visit,
  type CST,
  type Document,
  type Node,
} from 'yaml';
import type { Problem } from './problems.js';

/**
 * The limits on every YAML input (scenario, profile, budget, kubeconfig, `--set` values).
 * A real input is far inside each: a scenario nests about 8 levels and aliases, if any, a few
 * mix lists.
 */
export const YAML_LIMITS = {
  /** Levels of mappings and lists; the composer recurses once per level. */
  maxDepth: 64,
  /** Values that aliases may add in total when expanded ("billion laughs" stops here). */
  maxAliasExpansion: 10_000,
} as const;

/** A parsed document, with the line starts that turn its offsets into lines and columns. */
export type ParsedYaml =
  { ok: true; doc: Document; lines: LineCounter } | { ok: false; problems: Problem[] };

/**
 * Parses `text` (named `file` in problems) as one YAML document within YAML_LIMITS. Syntax
 * errors come first and alone; then the limits, checked before the document is composed (depth,
 * document count) or converted (alias expansion).
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const at = (offset: number, message: string): Problem => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, path: '', message };
  };
  const documents = tokens.filter((token) => token.type === 'document');
  if (documents.length > 1) {
    return {
      ok: false,
      problems: [
        at(
          documents[1]!.offset,
          `the file has ${documents.length} YAML documents (separated by ---); apfbench reads one per file`,
        ),
      ],
    };
  }
  const deep = tooDeep(tokens);
  if (deep !== undefined) {
    return {
      ok: false,
      problems: [
        at(
          deep,
          `mappings and lists nest more than ${YAML_LIMITS.maxDepth} levels deep here; apfbench reads at most ${YAML_LIMITS.maxDepth}`,
        ),
      ],
    };
  }
  const [doc] = new Composer({}).compose(tokens, true, text.length);
  if (doc === undefined) throw new Error('the YAML composer gave no document');
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((error) => at(error.pos[0], error.message)) };
  }
  const bomb = aliasBomb(doc);
  if (bomb !== undefined) {
    const max = YAML_LIMITS.maxAliasExpansion;
    return {
      ok: false,
      problems: [
        at(
          bomb,
          `aliases expand to more than ${max} values (a "billion laughs" YAML bomb?); apfbench expands at most ${max}`,
        ),
      ],
    };
  }
  return { ok: true, doc, lines };
}

/**
 * The plain value of a document `parseYaml` returned. Its own alias count is off: parseYaml has
 * bounded the expansion, and the yaml package's `maxAliasCount` counts uses of each alias, which
 * would refuse a file that uses one anchor 101 times, with no location.
 */
export function plainValue(doc: Document): unknown {
  return doc.toJS({ maxAliasCount: -1 });
}

/** The offset of the first collection deeper than the limit, walked without recursion. */
function tooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: { token: CST.Token | null | undefined; depth: number }[] = tokens.map((token) => ({
    token,
    depth: 0,
  }));
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { token, depth } = next;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push({ token: token.value, depth });
    } else if (
      token.type === 'block-map' ||
      token.type === 'block-seq' ||
      token.type === 'flow-collection'
    ) {
      if (depth + 1 > YAML_LIMITS.maxDepth) return token.offset;
      for (const item of token.items as readonly CST.CollectionItem[]) {
        stack.push({ token: item.key, depth: depth + 1 }, { token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * The offset of the alias at which the values aliases add, in document order, pass the limit.
 * Aliases refer to anchors before them, so by the time one is reached every alias inside its
 * anchor's node has been resolved: sizes are memoised and the recursion is as deep as the
 * document (bounded by `tooDeep`). An alias inside its own anchor counts as unbounded.
 */
function aliasBomb(doc: Document): number | undefined {
  const anchors = new Map<string, Node>();
  const targets = new Map<Node, Node | undefined>();
  const sizes = new Map<Node, number>();
  const sizing = new Set<Node>();
  const size = (node: unknown): number => {
    if (!isAlias(node) && !isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (sizing.has(node)) return Infinity;
    sizing.add(node);
    let total = 1;
    if (isAlias(node)) {
      total = size(targets.get(node));
    } else {
      for (const item of node.items as readonly unknown[]) {
        total += isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (total > YAML_LIMITS.maxAliasExpansion) break;
      }
    }
    sizing.delete(node);
    sizes.set(node, total);
    return total;
  };

  let added = 0;
  let found: number | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      targets.set(node, anchors.get(node.source));
      added += size(node);
      if (added > YAML_LIMITS.maxAliasExpansion) {
        found = node.range?.[0] ?? 0;
        return visit.BREAK;
      }
    } else if ((isScalar(node) || isCollection(node)) && node.anchor !== undefined) {
      anchors.set(node.anchor, node);
    }
    return undefined;
  });
  return found;
}
