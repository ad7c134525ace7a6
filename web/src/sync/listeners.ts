/** Subscribers by topic; `on` returns the unsubscribe. */
export class Listeners<Topic extends string> {
  private readonly byTopic = new Map<Topic, Set<() => void>>();

  on(topic: Topic, fn: () => void): () => void {
    let set = this.byTopic.get(topic);
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit(topic: Topic): void {
    this.byTopic.get(topic)?.forEach((fn) => fn());
  }
}
