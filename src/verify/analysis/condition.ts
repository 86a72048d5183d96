/**
 * Success conditions of metric analysis: the small part of Argo Rollouts'
 * expression language that judges one number, `result < 0.05`,
 * `result >= 0.95 && result <= 1`, joined with && and ||, and Flagger's
 * thresholdRange {min, max}. Parsed once, evaluated per measurement. Pure.
 */
export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!='

export type Condition = { op: Comparison; value: number } | { and: Condition[] } | { or: Condition[] }

const COMPARISON = /^\s*result(?:\[0\])?\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?)\s*$/i

/** The condition, or a message saying what is wrong with it. */
export function parseCondition(text: string): Condition | string {
  const or = text.split('||').map(part => part.split('&&'))
  const parsed: Condition[][] = []
  for (const group of or) {
    const all: Condition[] = []
    for (const term of group) {
      const match = COMPARISON.exec(term)
      if (!match)
        return `"${term.trim()}" is not a comparison of result with a number, such as result < 0.05 (&& and || join them)`
      all.push({ op: match[1] as Comparison, value: Number(match[2]) })
    }
    parsed.push(all)
  }
  const groups = parsed.map(all => (all.length === 1 ? all[0] : { and: all }))
  return groups.length === 1 ? groups[0] : { or: groups }
}

export function thresholdCondition(min?: number, max?: number): Condition {
  const terms: Condition[] = []
  if (min !== undefined) terms.push({ op: '>=', value: min })
  if (max !== undefined) terms.push({ op: '<=', value: max })
  return terms.length === 1 ? terms[0] : { and: terms }
}

export function holds(condition: Condition, result: number): boolean {
  if ('and' in condition) return condition.and.every(c => holds(c, result))
  if ('or' in condition) return condition.or.some(c => holds(c, result))
  switch (condition.op) {
    case '<':
      return result < condition.value
    case '<=':
      return result <= condition.value
    case '>':
      return result > condition.value
    case '>=':
      return result >= condition.value
    case '==':
      return result === condition.value
    case '!=':
      return result !== condition.value
  }
}

export function describeCondition(condition: Condition): string {
  if ('and' in condition) return condition.and.map(describeCondition).join(' && ')
  if ('or' in condition) return condition.or.map(describeCondition).join(' || ')
  return `result ${condition.op} ${condition.value}`
}
