import { runningImages } from '../../src/report/images.js'
import type { KubeObject } from '../../src/manifests/types.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const deployment = (image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { template: { spec: { containers: [{ name: 'web', image }] } } }
})
const pod = (image: string, imageID: string) => ({
  metadata: { name: 'web-1' },
  status: { containerStatuses: [{ name: 'web', image, imageID }] }
})

describe('runningImages', () => {
  it('finds the digest the kubelet reports under its normalised name', () => {
    expect(
      runningImages(
        [deployment('nginx:1.27')],
        [pod('docker.io/library/nginx:1.27', `docker.io/library/nginx@${DIGEST}`)]
      )
    ).toEqual([{ workload: 'Deployment/web', container: 'web', image: 'nginx:1.27', digest: DIGEST }])
    expect(
      runningImages(
        [deployment('ghcr.io/o/app')],
        [pod('ghcr.io/o/app:latest', `ghcr.io/o/app@${DIGEST}`)]
      )[0].digest
    ).toBe(DIGEST)
  })

  it('keeps a digest written in the manifest, and reports none when the kubelet gave none', () => {
    expect(runningImages([deployment(`ghcr.io/o/app@${DIGEST}`)], [])[0].digest).toBe(DIGEST)
    expect(
      runningImages([deployment('ghcr.io/o/app:1')], [pod('ghcr.io/o/app:2', `ghcr.io/o/app@${DIGEST}`)])[0]
        .digest
    ).toBeUndefined()
  })
})
