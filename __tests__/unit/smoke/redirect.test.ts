import { redirectedRequest } from '../../../src/smoke/http.js'

const from = new URL('https://shop.example/a')
const headers = {
  Host: 'shop.example',
  Authorization: 'Bearer t',
  'X-Api-Key': 'k',
  'X-Auth-Token': 't',
  'Proxy-Authorization': 'Basic p',
  Cookie: 'c=1',
  'X-Session-Id': 's',
  'X-Trace': 'carries s3cret-value-1 inside',
  'Content-Type': 'application/json',
  Accept: 'application/json'
}
const post = { method: 'POST', headers, body: '{"a":1}' }
const secrets = ['s3cret-value-1']

describe('redirectedRequest', () => {
  it('to another origin (host, port or scheme) leaves out every credential header, by name or by value', () => {
    for (const to of ['https://other.example/b', 'https://shop.example:8443/b', 'http://shop.example/b']) {
      const next = redirectedRequest(from, new URL(to), 307, post, secrets)
      expect([to, next]).toEqual([
        to,
        {
          method: 'POST',
          body: '{"a":1}',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' }
        }
      ])
    }
  })

  it('to the same origin keeps them (but never Host)', () => {
    const next = redirectedRequest(from, new URL('https://shop.example/b?x=1'), 308, post, secrets)
    const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'Host'))
    expect(next).toEqual({ method: 'POST', body: '{"a":1}', headers: kept })
  })

  it('turns a 303, or a 301/302 answering a POST, into a GET without body or Content-* headers', () => {
    for (const status of [301, 302, 303]) {
      const next = redirectedRequest(from, new URL('https://shop.example/b'), status, post, secrets)
      expect([status, next.method, next.body, next.headers['Content-Type']]).toEqual([
        status,
        'GET',
        undefined,
        undefined
      ])
      expect(next.headers.Authorization).toBe('Bearer t')
    }
    const put = { method: 'PUT', headers: {}, body: 'x' }
    expect(redirectedRequest(from, new URL('https://shop.example/b'), 302, put, [])).toEqual(put)
    const head = { method: 'HEAD', headers: {} }
    expect(redirectedRequest(from, new URL('https://shop.example/b'), 303, head, []).method).toBe('HEAD')
  })
})
