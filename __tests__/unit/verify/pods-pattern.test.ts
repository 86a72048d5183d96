// ${PODS} in an analysis query: a pattern that picks more pods than were judged measures the stable version too.
import type { V1Pod } from '@kubernetes/client-node'
import { podsPattern } from '../../../src/stage/verify.js'

const pod = (name: string): V1Pod => ({ metadata: { name } })
/** Prometheus anchors a label matcher's regular expression at both ends. */
const matches = (pattern: string, name: string) => new RegExp(`^(?:${pattern})$`).test(name)

describe('podsPattern', () => {
  it('joins the pod names with |, so it matches each of them and no other pod', () => {
    const pattern = podsPattern([pod('shop-canary-5d8f7c9b4-x7k2p'), pod('shop-canary-5d8f7c9b4-q9m4z')])
    expect(pattern).toBe('shop-canary-5d8f7c9b4-x7k2p|shop-canary-5d8f7c9b4-q9m4z')
    expect(matches(pattern, 'shop-canary-5d8f7c9b4-x7k2p')).toBe(true)
    expect(matches(pattern, 'shop-canary-5d8f7c9b4-q9m4z')).toBe(true)
    expect(matches(pattern, 'shop-7c9b45d8f-a1b2c')).toBe(false)
    expect(matches(pattern, 'shop-canary-5d8f7c9b4-x7k2')).toBe(false)
  })

  // Each name, and a name its unescaped pattern would match as well.
  it.each([
    ['web.v2-5d8f7c9b4-x7k2p', 'webXv2-5d8f7c9b4-x7k2p'],
    ['a+b', 'aab'],
    ['a*b', 'b'],
    ['a?b', 'b'],
    ['x|y', 'x'],
    ['(ab)', 'ab'],
    ['[ab]', 'a'],
    ['a{2}', 'aa'],
    ['^a$', 'a'],
    ['a\\.b', 'a\\Xb']
  ])('reads every regular-expression character of %j as itself', (name, other) => {
    const pattern = podsPattern([pod(name)])
    expect(matches(pattern, name)).toBe(true)
    expect(matches(pattern, other)).toBe(false)
  })

  it('matches nothing when there is no pod, not even a series without a pod label', () => {
    expect(podsPattern([])).toBe('a^')
    expect(matches(podsPattern([]), '')).toBe(false)
    expect(matches(podsPattern([]), 'shop-5d8f7c9b4-x7k2p')).toBe(false)
  })
})

describe('podsPattern in a PromQL string', () => {
  // Queries write pod=~"${PODS}" (the e2e test does): in a PromQL "…" string, "\." is a parse
  // error ("unknown escape sequence U+002E '.'"), so every measurement would be inconclusive.
  it('needs no backslash for a pod name with a dot (a Deployment named web.v2)', () => {
    const pattern = podsPattern([pod('web.v2-5d8f7c9b4-x7k2p'), pod('web.v2-5d8f7c9b4-q9m4z')])
    expect(pattern).not.toContain('\\')
    expect(matches(pattern, 'web.v2-5d8f7c9b4-x7k2p')).toBe(true)
    expect(matches(pattern, 'webXv2-5d8f7c9b4-x7k2p')).toBe(false)
  })
})
