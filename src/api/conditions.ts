import type { WorklistStatusCondition } from './v1alpha1/index.js';

export type Condition = WorklistStatusCondition;

/**
 * Sets a condition the way apimachinery's meta.SetStatusCondition does: lastTransitionTime
 * changes only when the status does. Returns a new list.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = list[i];
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now.toISOString();
  const condition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = condition;
  else list.push(condition);
  return list;
}

export const findCondition = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

export const isTrue = (conditions: readonly Condition[] | undefined, type: string) =>
  findCondition(conditions, type)?.status === 'True';
