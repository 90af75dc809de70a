// The part of qlobber (https://github.com/davedoesdev/qlobber, the topic matcher aedes uses) the hub
// calls; the package ships no types.
declare module 'qlobber' {
  export interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
    match_empty_levels?: boolean;
  }
  export class Qlobber<V = unknown> {
    constructor(options?: QlobberOptions);
    add(topic: string, value: V): this;
    match(topic: string): V[];
  }
  /** Stores no values: only whether a topic matches some filter (`test`). */
  export class QlobberTrue {
    constructor(options?: QlobberOptions);
    add(topic: string): this;
    remove(topic: string): this;
    test(topic: string): boolean;
  }
  const qlobber: { Qlobber: typeof Qlobber; QlobberTrue: typeof QlobberTrue };
  export default qlobber;
}
