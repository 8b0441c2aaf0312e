import type { Argv } from 'yargs';
import { AGENT_NAME, DEFAULT_AGENT_IMAGE, agentManifest } from '../agent/manifest.js';
import { parseHostPort } from '../agent/listen.js';
import { deferred } from './deferred.js';
import { positiveInteger } from './options.js';

export function agentsCommand(y: Argv) {
  return y
    .command(
      'manifest',
      'print an Indexed Job (plus ServiceAccount and RBAC) that runs N agents in a cluster',
      (m) =>
        m.options({
          agents: {
            type: 'number',
            demandOption: true,
            coerce: positiveInteger('agents', 10_000),
            describe: 'how many agents (the Job’s completions and parallelism)',
          },
          coordinator: {
            type: 'string',
            demandOption: true,
            describe:
              'HOST:PORT the agents dial (the coordinator’s --agent-listen, reachable from the pods)',
          },
          image: { type: 'string', default: DEFAULT_AGENT_IMAGE, describe: 'the apfbench image' },
          namespace: { type: 'string', default: 'apfbench', describe: 'namespace of the Job' },
          'token-secret': {
            type: 'string',
            default: `${AGENT_NAME}-token`,
            describe: 'Secret whose key `token` holds the shared agent token',
          },
          'tls-secret': {
            type: 'string',
            describe:
              'a kubernetes.io/tls Secret (ca.crt, tls.crt, tls.key): the agents dial over TLS, verify the coordinator against ca.crt and show tls.crt',
          },
        }),
      deferred((argv) => {
        parseHostPort(argv.coordinator, '--coordinator');
        process.stdout.write(
          agentManifest({
            agents: argv.agents!,
            coordinator: argv.coordinator,
            image: argv.image,
            namespace: argv.namespace,
            tokenSecret: argv.tokenSecret,
            tlsSecret: argv.tlsSecret,
          }),
        );
      }),
    )
    .demandCommand(1, 'say which: manifest');
}
