// What a test reads from Envoy's stats.

/** Sums every `*.update_rejected` counter: any rejection of our configuration is a bug of ours. */
export function rejections(stats: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of stats) if (name.endsWith('update_rejected') && value > 0) out[name] = value;
  return out;
}
