import { mapConcurrent, settleConcurrent, startEarly } from '../../src/concurrency.js'

const tick = () => new Promise(resolve => setImmediate(resolve))

describe('bounded concurrency', () => {
  it('never has more than the limit in flight, and keeps the input order', async () => {
    let inFlight = 0
    let most = 0
    const results = await mapConcurrent([5, 1, 4, 2, 3], 2, async n => {
      most = Math.max(most, ++inFlight)
      for (let i = 0; i < n; i++) await tick()
      inFlight--
      return n * 10
    })
    expect(most).toBe(2)
    expect(results).toEqual([50, 10, 40, 20, 30])
  })

  it('settles every item, failures included, in order', async () => {
    const outcomes = await settleConcurrent([1, 2, 3], 3, async n => {
      if (n === 2) throw new Error('two')
      return n
    })
    expect(outcomes.map(o => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('two'))
  })
})

describe('a request started early, awaited later', () => {
  it('is not an unhandled rejection meanwhile, and the await still throws its error', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const early = startEarly(Promise.reject(new Error('refused')))
      await tick()
      await tick()
      expect(unhandled).toEqual([])
      await expect(early).rejects.toThrow('refused')
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('resolves to what the request resolved to', async () => {
    await expect(startEarly(Promise.resolve(42))).resolves.toBe(42)
  })
})
