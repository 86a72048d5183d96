import { failureCode, FirstAnswers, neverReachedServer } from '../../../src/smoke/reach.js'

describe('whether a request reached the server', () => {
  it.each([
    ['ECONNREFUSED', true],
    ['ENOTFOUND', true],
    ['EAI_AGAIN', true],
    ['UND_ERR_CONNECT_TIMEOUT', true],
    ['ECONNRESET', false],
    ['UND_ERR_SOCKET', false],
    ['UND_ERR_HEADERS_TIMEOUT', false]
  ])('%s in the cause: never reached = %s', (code, expected) => {
    expect(neverReachedServer(Object.assign(new Error('fetch failed'), { cause: { code } }))).toBe(expected)
  })

  it('reads the code on the error itself too, and nothing from errors without one', () => {
    expect(failureCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED')
    expect(neverReachedServer(new Error('aborted'))).toBe(false)
    expect(neverReachedServer(undefined)).toBe(false)
  })
})

describe('first answers', () => {
  it('wakes waiters when the origin answers, and times out otherwise', async () => {
    const answers = new FirstAnswers()
    const woken = answers.wait('http://a', Date.now() + 10_000)
    answers.answered('http://a')
    await woken
    expect(answers.afterMs('http://a')).toBeGreaterThanOrEqual(0)
    expect(answers.afterMs('http://b')).toBeUndefined()
    const before = Date.now()
    await answers.wait('http://b', before + 50)
    expect(Date.now() - before).toBeGreaterThanOrEqual(45)
    expect(answers.afterMs('http://b')).toBeUndefined()
  })
})
