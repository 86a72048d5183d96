/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index], index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Like mapConcurrent, but never rejects: every item's outcome is returned. */
export function settleConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>
): Promise<PromiseSettledResult<R>[]> {
  return mapConcurrent(items, limit, item =>
    fn(item).then(
      value => ({ status: 'fulfilled', value }) as const,
      (reason: unknown) => ({ status: 'rejected', reason }) as const
    )
  )
}

/**
 * A request started now and awaited later, so it travels alongside others: until it is
 * awaited, its failure is not an unhandled rejection (the await still throws it).
 */
export function startEarly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}
