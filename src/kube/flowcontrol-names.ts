import type { KubeClient } from './client.js';
import type { KubeObject } from './objects.js';
import { resources } from './resources.js';

/**
 * Maps the UIDs in `X-Kubernetes-PF-*-UID` response headers to object names.
 * Refresh it after a profile changes the flowcontrol objects; an unknown UID
 * maps to itself so that nothing is silently dropped.
 */
export class FlowControlNames {
  private flowSchemas = new Map<string, string>();
  private priorityLevels = new Map<string, string>();

  async refresh(admin: KubeClient): Promise<this> {
    this.flowSchemas = await namesByUID(admin, resources.flowschemas);
    this.priorityLevels = await namesByUID(admin, resources.prioritylevelconfigurations);
    return this;
  }

  flowSchema(uid: string | undefined): string | undefined {
    return uid === undefined ? undefined : (this.flowSchemas.get(uid) ?? uid);
  }

  priorityLevel(uid: string | undefined): string | undefined {
    return uid === undefined ? undefined : (this.priorityLevels.get(uid) ?? uid);
  }

  /** Plain maps, to hand to worker threads. */
  toJSON(): { flowSchemas: Record<string, string>; priorityLevels: Record<string, string> } {
    return {
      flowSchemas: Object.fromEntries(this.flowSchemas),
      priorityLevels: Object.fromEntries(this.priorityLevels),
    };
  }

  static fromJSON(json: ReturnType<FlowControlNames['toJSON']>): FlowControlNames {
    const names = new FlowControlNames();
    names.flowSchemas = new Map(Object.entries(json.flowSchemas));
    names.priorityLevels = new Map(Object.entries(json.priorityLevels));
    return names;
  }
}

async function namesByUID(
  admin: KubeClient,
  r: typeof resources.flowschemas | typeof resources.prioritylevelconfigurations,
): Promise<Map<string, string>> {
  const { items } = await admin.listAll<KubeObject>(r);
  return new Map(
    items.flatMap((o) =>
      o.metadata.uid && o.metadata.name ? [[o.metadata.uid, o.metadata.name]] : [],
    ),
  );
}
