import { isConnectionError, retryDelay } from '../../src/kube/retry.js'

/** As undici's request throws them: the error itself carries the code (fetch wrapped it in "fetch failed"). */
const undiciError = (code: string, message: string) => Object.assign(new Error(message), { code })

describe('which failed requests are sent again', () => {
  it('an HTTP/2 GOAWAY or reset stream is a lost connection: a GET or an apply is repeated, a POST is not', () => {
    const goaway = undiciError('UND_ERR_INFO', 'HTTP/2: "GOAWAY" frame received with code 0')
    expect(isConnectionError(goaway)).toBe(true)
    expect(retryDelay({ method: 'GET', apply: false, attempt: 1, error: goaway })).toBe(250)
    expect(retryDelay({ method: 'PATCH', apply: true, attempt: 2, error: goaway })).toBe(500)
    expect(retryDelay({ method: 'POST', apply: false, attempt: 1, error: goaway })).toBeUndefined()
  })

  it('the same failures wrapped by fetch are still recognised', () => {
    const wrapped = new TypeError('fetch failed', { cause: undiciError('ECONNRESET', 'read ECONNRESET') })
    expect(isConnectionError(wrapped)).toBe(true)
    expect(isConnectionError(new TypeError('fetch failed'))).toBe(true)
  })

  it('a refused connection never reached the server: even a POST is repeated', () => {
    const refused = undiciError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6443')
    expect(retryDelay({ method: 'POST', apply: false, attempt: 1, error: refused })).toBe(250)
  })

  it('a TLS failure or an unknown error is final', () => {
    const tls = undiciError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')
    expect(isConnectionError(tls)).toBe(false)
    expect(retryDelay({ method: 'GET', apply: false, attempt: 1, error: tls })).toBeUndefined()
    expect(retryDelay({ method: 'GET', apply: false, attempt: 1, error: new Error('boom') })).toBeUndefined()
  })

  it('429 and 503 wait for Retry-After (at most 10 s); other statuses are final; six attempts at most', () => {
    expect(retryDelay({ method: 'POST', apply: false, attempt: 1, status: 429, retryAfter: '2' })).toBe(2000)
    expect(retryDelay({ method: 'GET', apply: false, attempt: 1, status: 503, retryAfter: '60' })).toBe(
      10_000
    )
    expect(retryDelay({ method: 'GET', apply: false, attempt: 3, status: 503 })).toBe(1000)
    expect(retryDelay({ method: 'GET', apply: false, attempt: 1, status: 500 })).toBeUndefined()
    expect(retryDelay({ method: 'GET', apply: false, attempt: 6, status: 503 })).toBeUndefined()
  })
})
