// BENCH_RSS_DETAIL=1: where a child's resident memory is, so that a peak-RSS gap between the
// libraries can be attributed (V8's heap, the node binary's code pages, malloc's heap, other
// anonymous mappings) instead of guessed. Linux only (reads /proc/self/smaps); elsewhere silent.
import { readFileSync } from 'node:fs';

export const rssDetail = Boolean(process.env.BENCH_RSS_DETAIL);

const MiB = (/** @type {number} */ bytes) => +(bytes / 1048576).toFixed(1);

/**
 * Resident KiB per kind of mapping: a file's own name with its permissions (`node r-xp` is the
 * node binary's code, touched code pages included), `[heap]` (malloc's main arena), `anon` (other
 * anonymous memory: V8's heap pages, thread arenas, large mallocs).
 * @returns {Record<string, number> | null}
 */
function residentByMapping() {
  let text;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  /** @type {Record<string, number>} */
  const by = {};
  let current = '';
  for (const line of text.split('\n')) {
    const head = line.match(/^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/);
    if (head) {
      const [, perms, name] = head;
      current = name ? `${name.split('/').pop()} ${perms}` : 'anon';
    } else if (line.startsWith('Rss:')) {
      by[current] = (by[current] ?? 0) + Number(line.split(/\s+/)[1]);
    }
  }
  return by;
}

/** A one-line snapshot for the parent to print: peak and current RSS, V8's view, the top mappings. */
export function rssSnapshot() {
  const mu = process.memoryUsage();
  const by = residentByMapping();
  const top = by
    ? Object.entries(by)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, kib]) => `${k} ${(kib / 1024).toFixed(1)}`)
        .join(', ')
    : '';
  return {
    peakMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    rssMiB: MiB(mu.rss),
    heapTotalMiB: MiB(mu.heapTotal),
    externalMiB: MiB(mu.external),
    top,
  };
}
