// Generated from crds/*.yaml by src/api/v1alpha1/types.test.ts: do not edit.
// After changing a CRD schema, run `npm run generate`.

/** The integers from start to end, both included, in order. */
export interface WorklistSpecSourceRange {
  /** The first item. */
  start: number;
  /** The last item (included). */
  end: number;
}

/** One item per non-empty line of a key of a ConfigMap in the Worklist's namespace. */
export interface WorklistSpecSourceConfigMap {
  /** The ConfigMap's name. */
  name: string;
  /** The key whose value holds the items. */
  key?: string;
}

/** Another Worklist, the parent: this one (a secondary) takes large ranges of the parent's items as one of its workers does and hands them out in its own blocks to its own workers, reporting upward as they complete (docs/secondary.md). Its items are the parent's, at the parent's offsets. */
export interface WorklistSpecSourceWorklist {
  /** The parent Worklist's name. */
  name: string;
  /** The parent's namespace (default this Worklist's). */
  namespace?: string;
  /** The parent is in another cluster: a Secret in this Worklist's namespace, labelled teamtask.dev/kubeconfig=true, whose key `kubeconfig` holds a kubeconfig for it (its current context). Its credential needs only to get the parent Worklist (and a ConfigMap source) and to create, get and patch this secondary's one Block in the parent's namespace (docs/secondary.md). The controller reads it, and the workers unless itemsKubeconfigSecret is given; without it the parent is in this cluster. */
  kubeconfigSecret?: string;
  /** The Secret the workers read the parent's items through instead (the same key): a kubeconfig whose credential only reads the parent (and a ConfigMap source), so that worker pods never hold the one that writes this secondary's Block. Default kubeconfigSecret. `create --from-worklist CONTEXT/NS/PARENT` makes both. */
  itemsKubeconfigSecret?: string;
}

/** The items. Exactly one of range, inline, configMap or worklist. */
export interface WorklistSpecSource {
  /** The integers from start to end, both included, in order. */
  range?: WorklistSpecSourceRange;
  /** The items themselves, at most 1000 of at most 253 characters each; use a ConfigMap for more. */
  inline?: string[];
  /** One item per non-empty line of a key of a ConfigMap in the Worklist's namespace. */
  configMap?: WorklistSpecSourceConfigMap;
  /** Another Worklist, the parent: this one (a secondary) takes large ranges of the parent's items as one of its workers does and hands them out in its own blocks to its own workers, reporting upward as they complete (docs/secondary.md). Its items are the parent's, at the parent's offsets. */
  worklist?: WorklistSpecSourceWorklist;
}

/** A request to put items back into the pool (kubectl teamtask retry): the failed items, and/or offsets as ranges, completed ones included. Applied once per id; status.retryApplied says which id was. */
export interface WorklistSpecRetry {
  /** Raised by one for every new request. */
  id: number;
  /** Every failed item. */
  failed?: boolean;
  /** Offsets, as in status.completed, such as "0-99,250". */
  ranges?: string;
}

/** What to process and how to hand it out. */
export interface WorklistSpec {
  /** The items. Exactly one of range, inline, configMap or worklist. */
  source: WorklistSpecSource;
  /** How many items a worker takes at a time. Immutable. */
  blockSize: number;
  /** How many times an item is tried before it counts as failed. */
  maxAttempts?: number;
  /** How long a worker may go without reporting before its block is taken back and handed to another worker. */
  leaseSeconds?: number;
  /** At most this many blocks are assigned at once (default no cap beyond the workers). */
  maxBlocksInFlight?: number;
  /** While true, no new blocks are assigned; work in progress finishes. */
  suspend?: boolean;
  /** A request to put items back into the pool (kubectl teamtask retry): the failed items, and/or offsets as ranges, completed ones included. Applied once per id; status.retryApplied says which id was. */
  retry?: WorklistSpecRetry;
}

export interface WorklistStatusRetry {
  ranges: string;
  attempts: number;
}

export interface WorklistStatusUpstreamNext {
  /** The parent's fencing token of the range. */
  token: number;
  /** The range's first offset in the parent. */
  index: number;
  /** Items in the range. */
  size: number;
}

export interface WorklistStatusUpstreamWorking {
  /** The parent's fencing token of the range. */
  token: number;
  /** The range's first offset in the parent. */
  index: number;
  /** Items in the range. */
  size: number;
}

export interface WorklistStatusUpstreamFinished {
  /** The parent's fencing token of the range. */
  token: number;
  /** The range's first offset in the parent. */
  index: number;
  /** Items in the range. */
  size: number;
}

/** A secondary's place in its parent's ledger: the parent range whose items it hands out (working), the parent's next range once it hands out its items too (next: started while the last items of working run), and the one it finished before, until the parent has folded that switch. */
export interface WorklistStatusUpstream {
  next?: WorklistStatusUpstreamNext;
  working?: WorklistStatusUpstreamWorking;
  finished?: WorklistStatusUpstreamFinished;
}

export interface WorklistStatusLost {
  block: string;
  generation: number;
  /** When its lease ran out; a Block of a worker outside a pod that stays Lost 10 minutes is deleted. */
  since?: string;
}

export interface WorklistStatusRateSample {
  time: string;
  finishedItems: number;
}

export interface WorklistStatusCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** The ledger. Written only by the controller. */
export interface WorklistStatus {
  observedGeneration?: number;
  /** The id of the last spec.retry request applied. */
  retryApplied?: number;
  /** Number of items in the Worklist. */
  totalItems?: number;
  completedItems?: number;
  failedItems?: number;
  /** Blocks (worker slots) currently attached to this Worklist. */
  workers?: number;
  /** Offsets of completed items, as ranges such as "0-41999,43000-43999". */
  completed?: string;
  /** Offsets of items that failed maxAttempts times, as ranges. */
  failed?: string;
  /** The ranges out, one line per Block: "NAME INDEX+SIZE#TOKEN@GENERATION LEASE [REPORTED] [yYIELD] [>INDEX+SIZE#TOKEN@GENERATION]", where a NAME starting with "-" follows the Worklist's name, LEASE is seconds after leasesFrom, REPORTED and YIELD are offsets within the range, a range on a later attempt ends in "^ATTEMPT", and the part after ">" is the range the Block starts next (">!" once its worker started it early). docs/api.md spells it out. */
  assigned?: string[];
  /** The time each lease in assigned counts its seconds from (the earliest lease). */
  leasesFrom?: string;
  /** Items to hand out again, grouped by how many attempts they have used. */
  retry?: WorklistStatusRetry[];
  /** Ranges handed out so far, plus one; the fencing token of the next range. */
  nextToken?: number;
  /** A secondary's place in its parent's ledger: the parent range whose items it hands out (working), the parent's next range once it hands out its items too (next: started while the last items of working run), and the one it finished before, until the parent has folded that switch. */
  upstream?: WorklistStatusUpstream;
  /** Blocks whose lease ran out, with their generation then: they get no new range until their worker writes to them again. */
  lost?: WorklistStatusLost[];
  /** Finished items (completed and failed) at two recent times, 30 s or more apart: kubectl teamtask status measures the current rate against the older one. Moved only when the count moves, so they cost no write of their own. */
  rateSamples?: WorklistStatusRateSample[];
  startTime?: string;
  completionTime?: string;
  conditions?: WorklistStatusCondition[];
}

/** With the token of status.next: the final report on the range the worker finished before it started that one (the switch to the next range, in one write). */
export interface BlockSpecReportFinished {
  token: number;
  done?: string;
  failed?: string;
}

/** The worker's latest report on its current range. The controller folds it into the Worklist; it is ignored unless token equals status.token. */
export interface BlockSpecReport {
  /** The fencing token of the range reported on (status.token when it was assigned). */
  token: number;
  /** Offsets within the Worklist finished successfully, as ranges (at most 100 ranges: a worker cuts its range short before). */
  done?: string;
  /** Offsets within the Worklist whose command failed, as ranges (at most 100 ranges). */
  failed?: string;
  /** Why the command last failed, in the worker's words (an exit code, a signal, the out-of-memory killer). */
  message?: string;
  /** True when the whole range is reported (done or failed) and the worker wants the next. */
  complete?: boolean;
  /** True when the worker gives back what it did not report (shutting down). */
  release?: boolean;
  /** With release, the worker goes on and wants another range: it gave this one back because its report reached 100 ranges. */
  next?: boolean;
  /** When the worker last reported or renewed its lease. */
  renewTime?: string;
  /** How many items the worker asks for in its next range: what it ran in about five seconds at its last range's pace. The controller gives it in whole blocks, at most 64, and less near the end (a share of what is left). A worker that runs a range as one command (--per-block) asks for nothing. */
  rangeSize?: number;
  /** The worker's answer to status.yieldFrom: it starts no item of this range from this offset on (the first it had not started, if later than asked), nor the next range. */
  yieldFrom?: number;
  /** The token of status.next when the worker started that range before finishing this one (a secondary Worklist does, while this range's last items run): from then on the next range is no longer taken back whole, as never started, and stays its own when it answers an ask to yield. */
  startedNext?: number;
  /** With the token of status.next: the final report on the range the worker finished before it started that one (the switch to the next range, in one write). */
  finished?: BlockSpecReportFinished;
}

/** Written by the worker. */
export interface BlockSpec {
  /** The Worklist, in the same namespace, this worker works on. */
  worklist: string;
  /** Who works here, for people to read (pod name, or user@host). */
  worker?: string;
  /** True when the worker starts a range's items one by one and can give up the part it has not started (tail stealing: status.yieldFrom). A worker that runs a range as one command (--per-block) leaves it unset: it is asked for its next range only. */
  splittable?: boolean;
  /** The worker's latest report on its current range. The controller folds it into the Worklist; it is ignored unless token equals status.token. */
  report?: BlockSpecReport;
}

/** The range the worker starts the moment it finishes this one, without waiting; it says so by reporting with this token, its final report on the current range in spec.report.finished. */
export interface BlockStatusNext {
  index: number;
  size: number;
  token: number;
  attempt?: number;
}

/** Written by the controller. */
export interface BlockStatus {
  /** Pending (waiting for a range), Ready (a range is assigned), Drained (the Worklist has nothing left for this worker: it may exit), Released (its worker gave its range back), or Lost (its lease ran out: it gets no range until its worker writes to the Block again). */
  phase?: "Pending" | "Ready" | "Drained" | "Released" | "Lost";
  /** Assigned slots out of slots, as kubectl shows for pods ("1/1" or "0/1"). */
  ready?: string;
  /** Offset of the first item of the assigned range, or "Pending". */
  index?: number | string;
  /** Number of items in the assigned range, or "Pending". */
  size?: number | string;
  /** Fencing token of the assignment; the worker echoes it in spec.report.token. */
  token?: number;
  /** Which attempt at these items this is (1 for the first). */
  attempt?: number;
  /** The range the worker starts the moment it finishes this one, without waiting; it says so by reporting with this token, its final report on the current range in spec.report.finished. */
  next?: BlockStatusNext;
  /** The controller asks the worker to start no item from this offset on, nor the next range, so that they go to an idle worker (tail stealing); the worker answers in spec.report.yieldFrom, and only then are they handed out. */
  yieldFrom?: number;
  /** How many times the worker behind this Block restarted. */
  restarts?: number;
  /** Ranges this Block has completed. */
  blocksCompleted?: number;
  /** The controller's latest word to the worker and to people. */
  message?: string;
  /** For a Lost Block, its generation when the lease ran out; a newer one is a sign of life. */
  observedGeneration?: number;
}
