// The promotion guard compares images exactly as a registry would: a wrong verdict here deploys an unproven image.
import { checkPromotion } from '../../../src/promote/guard.js'
import { imageIdentity } from '../../../src/manifests/image.js'
import type { ReleaseRecord } from '../../../src/promote/release.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`
const KEY = 'Deployment/shop:shop'

function upstream(image: string): ReleaseRecord {
  return {
    format: 1,
    environment: 'staging',
    namespace: 'shop-staging',
    commit: 'c0ffee',
    result: 'success',
    images: { [KEY]: image },
    objectDigests: {},
    config: { configMaps: {}, env: {}, secrets: [] }
  } as unknown as ReleaseRecord
}
const check = (passed: string, mine: string) =>
  checkPromotion(upstream(passed), { commit: 'c0ffee', images: { [KEY]: mine } })

describe('images in the promotion guard', () => {
  it('accepts an image pinned to exactly the upstream digest, and pins nothing more', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, `ghcr.io/acme/shop:1.4.0@${DIGEST}`)).toEqual({
      problems: [],
      pins: []
    })
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, `ghcr.io/acme/shop@${DIGEST}`)).toEqual({
      problems: [],
      pins: []
    })
  })

  it('pins a tag-only image once, to the upstream digest', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, 'ghcr.io/acme/shop:1.4.0')).toEqual({
      problems: [],
      pins: [
        {
          repository: 'ghcr.io/acme/shop',
          image: `ghcr.io/acme/shop:1.4.0@${DIGEST}`,
          entry: `ghcr.io/acme/shop:1.4.0@${DIGEST}`
        }
      ]
    })
  })

  it('refuses another digest of the same repository', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, `ghcr.io/acme/shop:1.4.0@${OTHER}`).problems).toEqual([
      `${KEY} image ghcr.io/acme/shop:1.4.0@${OTHER} is not the digest that passed in staging (${DIGEST})`
    ])
  })

  it('never takes one registry for another, or Docker Hub for ghcr.io', () => {
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, 'docker.io/acme/shop:1.4.0').problems).toEqual([
      `${KEY} image docker.io/acme/shop:1.4.0 is not the staging image ghcr.io/acme/shop:1.4.0@${DIGEST}`
    ])
    expect(check('acme/shop:1.4.0', 'docker.io/acme/shop:1.4.0').problems).toEqual([
      `${KEY} image docker.io/acme/shop:1.4.0 differs from acme/shop:1.4.0, which passed in staging`
    ])
  })

  it('an untagged reference is the latest tag', () => {
    expect(check(`ghcr.io/acme/shop:latest@${DIGEST}`, 'ghcr.io/acme/shop').problems).toEqual([])
    expect(check(`ghcr.io/acme/shop:1.4.0@${DIGEST}`, 'ghcr.io/acme/shop').problems).toHaveLength(1)
  })
})

describe('imageIdentity', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx', 'latest'],
    ['docker.io/nginx:1', 'docker.io/library/nginx', '1'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx', '1'],
    ['acme/shop:2', 'docker.io/acme/shop', '2'],
    ['ghcr.io/acme/shop:2', 'ghcr.io/acme/shop', '2'],
    ['localhost:5000/shop', 'localhost:5000/shop', 'latest']
  ])('%s is %s:%s', (reference, repository, tag) => {
    expect(imageIdentity(reference)).toEqual({ repository, tag, digest: undefined })
  })
})
