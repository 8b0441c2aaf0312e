/** `tenant-{i}` → `tenant-3`. */
export function expandIdentity(template: string, index: number): string {
  return template.replaceAll('{i}', String(index));
}
