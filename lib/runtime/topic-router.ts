import type { SourceSpec } from './ports';

/** Which source node reads a topic: the first whose name or pattern matches, cached per topic. */
export class TopicRouter {
  private cache = new Map<string, string | null>();

  constructor(private readonly sources: readonly SourceSpec[]) {}

  sourceOf(topic: string): string | null {
    const hit = this.cache.get(topic);
    if (hit !== undefined) return hit;
    let found: string | null = null;
    for (const s of this.sources) {
      if (s.topics.some((t) => (typeof t === 'string' ? t === topic : wholeMatch(t, topic)))) {
        found = s.name;
        break;
      }
    }
    this.cache.set(topic, found);
    return found;
  }

  /** Every topic or pattern to subscribe to. */
  subscriptions(): (string | RegExp)[] {
    return this.sources.flatMap((s) => [...s.topics]);
  }
}

function wholeMatch(pattern: RegExp, topic: string): boolean {
  const m = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(topic);
  return m !== null && m.index === 0 && m[0].length === topic.length;
}
