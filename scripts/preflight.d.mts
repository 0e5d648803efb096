export const REQUIRED_SECRETS: Record<string, string>;
export function readConfig(toml: string): { d1Id?: string; d1Name?: string; bucket?: string; queues: string[]; vars: Record<string, string> };
export function preflight(input: { toml: string; secrets: string[]; resources?: { d1Ids?: string[]; buckets?: string[]; queues?: string[] } }): string[];
