/** Whether a request reached the service, and when each service first answered. */
export { failureCode, neverReachedServer } from '../network.js'

/**
 * When each origin first answered at all (any HTTP status), shared by the
 * checks of one run: checks that must not run twice wait for it, so they are
 * not sent to a service that is still coming up.
 */
export class FirstAnswers {
  private readonly started = Date.now()
  private readonly answeredAt = new Map<string, number>()
  private readonly waiters = new Map<string, (() => void)[]>()

  answered(origin: string): void {
    if (this.answeredAt.has(origin)) return
    this.answeredAt.set(origin, Date.now() - this.started)
    for (const wake of this.waiters.get(origin) ?? []) wake()
    this.waiters.delete(origin)
  }

  /** Milliseconds from the start of the smoke checks to the origin's first answer. */
  afterMs(origin: string): number | undefined {
    return this.answeredAt.get(origin)
  }

  /** Resolves once the origin has answered, or when the deadline passes. */
  async wait(origin: string, deadline: number): Promise<void> {
    if (this.answeredAt.has(origin)) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
      const wake = () => {
        clearTimeout(timer)
        resolve()
      }
      this.waiters.set(origin, [...(this.waiters.get(origin) ?? []), wake])
    })
  }
}
