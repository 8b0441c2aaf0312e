// An actor type is one folder plus one registry line (docs/architecture.md, "How to add an actor
// type"): its type literal lives only there, and the scenario and result formats are composed
// from the registry, so that a type added through the same builders needs nothing else.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { actors, type ActorDefinition, type ActorType } from '../../../src/actors/index.js';
import { actorGroupSchemas, scenarioJsonSchema } from '../../../src/actors/scenario.js';
import { actorGroupResultSchema } from '../../../src/result/result.js';
import { instanceCount } from '../../../src/scenario/fields.js';
import {
  scenarioFiles,
  scenarioJsonSchemaOf,
  scenarioSchemaOf,
} from '../../../src/scenario/index.js';
import { dnsLabel, positiveRate } from '../../../src/validation/fields.js';
import { formatProblem } from '../../../src/validation/problems.js';

const types = Object.keys(actors) as ActorType[];
const REGISTRY = 'src/actors/index.ts';

/** Every .ts file under src/, relative to the repository root (vitest's working directory). */
const sources = (readdirSync('src', { recursive: true, encoding: 'utf8' }) as string[])
  .filter((path) => path.endsWith('.ts'))
  .map((path) => join('src', path));

/** Ways source code names a type: a string literal ('pod-churn'), or `actors.kubelet`. */
function namesType(text: string, type: string): boolean {
  const escaped = type.replace(/[-]/g, '\\-');
  return new RegExp(`(['"])${escaped}\\1|\\bactors\\.${escaped}\\b`).test(text);
}

describe('the actor registry', () => {
  it.each(types)('%s is its folder and its registry line, nowhere else in src/', (type) => {
    const folder = `src/actors/${type}/`;
    expect(existsSync(`${folder}index.ts`)).toBe(true);
    expect(existsSync(`${folder}schema.ts`)).toBe(true);
    const naming = sources.filter((path) => namesType(readFileSync(path, 'utf8'), type));
    expect(naming.filter((path) => path !== REGISTRY && !path.startsWith(folder))).toEqual([]);
    // Its scenario schema has `type: z.literal('<type>')`; the registry's key may be shorthand.
    expect(naming).toContain(`${folder}schema.ts`);
  });

  it('finds what it looks for', () => {
    // The scan above would pass vacuously if it matched nothing.
    expect(namesType(`g.type === 'kubelet'`, 'kubelet')).toBe(true);
    expect(namesType(`"pod-churn"`, 'pod-churn')).toBe(true);
    expect(namesType(`actors.kubelet.resultSections`, 'kubelet')).toBe(true);
    expect(namesType('// a `kubelet` group', 'kubelet')).toBe(false);
    expect(namesType(`'kubelets'`, 'kubelet')).toBe(false);
  });

  it('keys each definition by the type its scenario schema accepts', () => {
    for (const type of types) {
      expect(actors[type].scenario._zod.propValues?.['type']).toEqual(new Set([type]));
    }
  });

  it('composes the scenario and the result unions in its order', () => {
    const jsonTypes = (schema: Record<string, unknown>) =>
      [...JSON.stringify(schema).matchAll(/"type":\{"type":"string","const":"([a-z-]+)"\}/g)].map(
        (m) => m[1],
      );
    expect(jsonTypes(scenarioJsonSchema())).toEqual(types);
    expect(jsonTypes(z.toJSONSchema(actorGroupResultSchema))).toEqual(types);
  });
});

describe('a type added through the same builders', () => {
  // A tiny actor type, `echo`, written as a folder would write it: its group's schema from the
  // scenario's shared fields, and a definition that a registry line would add.
  const echoSchema = z.strictObject({
    name: dnsLabel,
    type: z.literal('echo'),
    count: instanceCount,
    identity: z.string().min(1).default('echo-{i}'),
    rate: positiveRate,
  });
  type EchoGroup = z.output<typeof echoSchema>;
  const echoSections = z.object({ echoes: z.number() });
  const echo = {
    scenario: echoSchema,
    create: () => ({ run: () => Promise.resolve() }),
    resultSections: echoSections,
    sections: (m) => ({ echoes: m.counters['echo.sent'] ?? 0 }),
    expectedRequests: (g, untilMs) => (g.rate * untilMs) / 1000,
  } satisfies ActorDefinition<EchoGroup, typeof echoSections>;

  const schema = scenarioSchemaOf([...actorGroupSchemas, echo.scenario]);
  const { parseScenario } = scenarioFiles(schema);
  const scenario = (actorsYaml: string) =>
    parseScenario(
      [
        'apiVersion: apfbench.dev/v1alpha1',
        'kind: Scenario',
        'metadata: { name: echoes }',
        'spec:',
        '  duration: 10s',
        '  actors:',
        actorsYaml,
      ].join('\n'),
      'inline.yaml',
    );

  it('parses its groups beside the registered ones, defaults and units applied', () => {
    const parsed = scenario(
      [
        '    - { name: e, type: echo, count: 2, rate: 5/s }',
        '    - { name: t, type: tenant, count: 1, rate: 1/s, mix: [{ verb: get, resource: configmaps, weight: 1 }] }',
      ].join('\n'),
    );
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join('\n'));
    const [e, t] = parsed.scenario.spec.actors;
    expect(e).toStrictEqual({ name: 'e', type: 'echo', count: 2, identity: 'echo-{i}', rate: 5 });
    expect(t?.type).toBe('tenant');
    if (e?.type === 'echo') expect(echo.expectedRequests(e, 10_000)).toBe(50);
  });

  it('gets its own located problems and the scenario-wide rules', () => {
    const parsed = scenario(
      [
        '    - { name: e, type: echo, count: 2, rate: -1/s }',
        '    - { name: e, type: nope, count: 1 }',
      ].join('\n'),
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map(formatProblem)).toEqual([
      'inline.yaml:7:46 spec.actors[0].rate: must be > 0 (got -1/s)',
      'inline.yaml:8:15 spec.actors[1].name: is already the name of spec.actors[0] (got e)',
      'inline.yaml:8:24 spec.actors[1].type: must be one of tenant, kubelet, controller, scheduler, pod-churn, replay, echo (got nope)',
    ]);
  });

  it('joins the JSON Schema for editors', () => {
    const items = JSON.stringify(scenarioJsonSchemaOf(schema));
    expect(items).toContain('"type":{"type":"string","const":"echo"}');
  });

  it('builds its result sections from its counters', () => {
    const sections = echo.sections({ counters: { 'echo.sent': 3 }, measures: {} });
    expect(echoSections.parse(sections)).toStrictEqual({ echoes: 3 });
  });
});
