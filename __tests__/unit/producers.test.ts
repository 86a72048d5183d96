import { foreignSecretSources, producedSecretNames, producedSecretOf } from '../../src/manifests/producers.js'
import {
  CONFIG_DIGEST_ANNOTATION,
  stampConfigDigests,
  templateDigest
} from '../../src/manifests/config-digest.js'
import { configRollbackTargets, previousConfig } from '../../src/kube/rollback.js'
import {
  STALE_FAILURE_GRACE_MS,
  certificateReadiness,
  externalSecretReadiness,
  sealedSecretReadiness
} from '../../src/kube/status/producer.js'
import { manifestSecretData, reusedSecretValues, secretValueDigests } from '../../src/promote/secret-reuse.js'
import type { PlannedObject } from '../../src/kube/apply.js'
import type { KubeObject } from '../../src/manifests/types.js'

const externalSecret = (spec: Record<string, unknown>, name = 'db'): KubeObject => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name },
  spec
})
const sealed: KubeObject = {
  apiVersion: 'bitnami.com/v1alpha1',
  kind: 'SealedSecret',
  metadata: { name: 'api-token', generation: 2 },
  spec: { encryptedData: { token: 'AgB...' } }
}
const certificate = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'shop-tls', generation: 1 },
  spec: { secretName: 'shop-tls', issuerRef: { kind: 'ClusterIssuer', name: 'selfsigned' } },
  ...extra
})
const deployment = (secret: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop' },
  spec: {
    template: {
      metadata: {},
      spec: {
        containers: [{ name: 'shop', envFrom: [{ secretRef: { name: secret } }], image: 'shop:1' }]
      }
    }
  }
})

describe('which Secret a producer makes', () => {
  it('an ExternalSecret makes its target name, or its own name', () => {
    expect(producedSecretOf(externalSecret({ target: { name: 'db-credentials' } }))?.secret).toBe(
      'db-credentials'
    )
    expect(producedSecretOf(externalSecret({}))?.secret).toBe('db')
  })

  it('an ExternalSecret that merges into a Secret someone else makes makes nothing that counts', () => {
    expect(producedSecretOf(externalSecret({ target: { creationPolicy: 'Merge' } }))).toBeUndefined()
    expect(producedSecretOf(externalSecret({ target: { creationPolicy: 'None' } }))).toBeUndefined()
    expect(producedSecretOf(externalSecret({ target: { creationPolicy: 'Orphan' } }))?.secret).toBe('db')
  })

  it('a SealedSecret makes its own name; a Certificate its secretName', () => {
    expect(producedSecretOf(sealed)?.secret).toBe('api-token')
    expect(producedSecretOf(certificate())?.secret).toBe('shop-tls')
    expect(producedSecretOf(certificate({ spec: {} }))).toBeUndefined()
  })

  it('a kind of the same name from another API group makes nothing', () => {
    expect(producedSecretOf({ ...certificate(), apiVersion: 'acme.example.com/v1' })).toBeUndefined()
    expect(producedSecretNames([sealed, certificate(), deployment('x')])).toEqual(
      new Set(['Secret/api-token', 'Secret/shop-tls'])
    )
  })
})

describe('an ExternalSecret reading another environment', () => {
  const names = ['dev', 'staging', 'production']
  it('names the remote key, the store and the field', () => {
    const problems = foreignSecretSources(
      [
        externalSecret({
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-staging' },
          data: [{ secretKey: 'password', remoteRef: { key: 'dev/db-password' } }],
          dataFrom: [{ extract: { key: 'secret/data/production/api' } }]
        })
      ],
      'production',
      names
    )
    expect(problems).toEqual([
      'ExternalSecret/db reads "vault-staging" (spec.secretStoreRef.name), which is named for environment staging, in stage production',
      'ExternalSecret/db reads "dev/db-password" (spec.data[0].remoteRef.key), which is named for environment dev, in stage production'
    ])
  })

  it("accepts the stage's own keys, aliases and words that only contain an environment's name", () => {
    expect(
      foreignSecretSources(
        [
          externalSecret({
            secretStoreRef: { name: 'vault-prod' },
            data: [
              { remoteRef: { key: 'production/db-password' } },
              { remoteRef: { key: 'devices/api-key' } },
              { remoteRef: { key: 'shared/staged-rollout' } }
            ]
          })
        ],
        'production',
        names
      )
    ).toEqual([])
  })
})

describe('producer readiness', () => {
  const es = (status: Record<string, unknown>) => ({ ...externalSecret({}), status })
  const readyFalse = {
    type: 'Ready',
    status: 'False',
    reason: 'SecretSyncedError',
    message: 'could not get secret data from provider'
  }

  it('an ExternalSecret is made once it synced after the stage asked', () => {
    const synced = es({ syncedResourceVersion: '1-abc', conditions: [{ type: 'Ready', status: 'True' }] })
    expect(externalSecretReadiness(synced, { syncedBefore: '1-abc' }).state).toBe('InProgress')
    expect(externalSecretReadiness(synced, { syncedBefore: '1-old' }).state).toBe('Current')
    expect(externalSecretReadiness(synced, { syncedBefore: '' }).state).toBe('Current')
  })

  it("an ExternalSecret's failure is the controller's reason, doubted only while it may be the last spec's", () => {
    const failing = es({ conditions: [readyFalse] })
    const fresh = externalSecretReadiness(failing, { syncedBefore: '' })
    expect(fresh.state).toBe('Failed')
    expect(fresh.failure?.code).toBe('SecretNotProduced')
    expect(fresh.message).toContain('SecretSyncedError: could not get secret data from provider')
    const before = 'SecretSyncedError: could not get secret data from provider'
    expect(externalSecretReadiness(failing, { failureBefore: before, sinceAskedMs: 1000 }).state).toBe(
      'InProgress'
    )
    expect(
      externalSecretReadiness(failing, { failureBefore: before, sinceAskedMs: STALE_FAILURE_GRACE_MS }).state
    ).toBe('Failed')
  })

  it('a SealedSecret is judged on the generation the controller observed', () => {
    const at = (observedGeneration: number, status: string, message?: string) => ({
      ...sealed,
      status: { observedGeneration, conditions: [{ type: 'Synced', status, message }] }
    })
    expect(sealedSecretReadiness(at(1, 'False', 'old failure')).state).toBe('InProgress')
    expect(sealedSecretReadiness(at(2, 'True')).state).toBe('Current')
    const failedUnseal = sealedSecretReadiness(at(2, 'False', 'no key could decrypt secret (token)'))
    expect(failedUnseal.state).toBe('Failed')
    expect(failedUnseal.message).toContain('no key could decrypt secret (token)')
  })

  it("a Certificate fails on a failed issuance or a missing or unready issuer, unless the issuer's CA is still being made", () => {
    const cert = (conditions: unknown[]) => ({ ...certificate(), status: { conditions } })
    const issuing = { type: 'Issuing', status: 'True', reason: 'DoesNotExist' }
    expect(
      certificateReadiness(cert([{ type: 'Ready', status: 'True', observedGeneration: 1 }]), {}).state
    ).toBe('Current')
    expect(certificateReadiness(cert([issuing]), {}).state).toBe('InProgress')
    const failedIssue = certificateReadiness(
      cert([
        { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed' }
      ]),
      {}
    )
    expect(failedIssue.state).toBe('Failed')
    expect(certificateReadiness(cert([issuing]), { issuer: null }).message).toBe(
      'its ClusterIssuer selfsigned does not exist: create it, or name one that does in spec.issuerRef'
    )
    const notReady = {
      metadata: { generation: 1 },
      spec: { ca: { secretName: 'root-ca' } },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ErrGetKeyPair',
            message: 'secret not found',
            observedGeneration: 1
          }
        ]
      }
    }
    expect(certificateReadiness(cert([issuing]), { issuer: notReady }).message).toBe(
      'its ClusterIssuer selfsigned is not ready: ErrGetKeyPair: secret not found'
    )
    expect(
      certificateReadiness(cert([issuing]), { issuer: notReady, pendingSecrets: new Set(['root-ca']) }).state
    ).toBe('InProgress')
  })
})

describe('produced data in the config digest', () => {
  it('a value rotated behind a producer changes the digest of the pods that use it', () => {
    const objects = [externalSecret({ target: { name: 'db' } }), deployment('db')]
    const before = stampConfigDigests(objects, new Map([['db', { password: 'b25l' }]]))[1]
    const after = stampConfigDigests(objects, new Map([['db', { password: 'dHdv' }]]))[1]
    expect(templateDigest(before)).toMatch(/^[0-9a-f]{16}$/)
    expect(templateDigest(after)).not.toBe(templateDigest(before))
    expect(stampConfigDigests(objects)[1]).toEqual(objects[1])
    expect(
      (before.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata
        .annotations[CONFIG_DIGEST_ANNOTATION]
    ).toBe(templateDigest(before))
  })

  it('a producer this stage changed is restored with its old spec', () => {
    const live = { ...externalSecret({ data: [{ remoteRef: { key: 'production/db' } }] }), status: { x: 1 } }
    const planned = {
      object: externalSecret({ data: [{ remoteRef: { key: 'production/db2' } }] }),
      live,
      action: 'configured'
    } as unknown as PlannedObject
    expect(configRollbackTargets([planned])).toEqual([planned])
    expect(previousConfig(live)).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: undefined },
      spec: { data: [{ remoteRef: { key: 'production/db' } }] }
    })
  })
})

describe('Secret values reused across environments', () => {
  const key = 'k'.repeat(32)
  const b64 = (s: string) => Buffer.from(s).toString('base64')

  it('digests are keyed: the same value under another key, or without the key, does not match', () => {
    const a = secretValueDigests([{ name: 'db', data: { password: b64('hunter2hunter2') } }], key, [])
    const b = secretValueDigests(
      [{ name: 'db', data: { password: b64('hunter2hunter2') } }],
      'x'.repeat(32),
      []
    )
    expect(a['Secret/db:password']).toMatch(/^[0-9a-f]{16}$/)
    expect(a['Secret/db:password']).not.toBe(b['Secret/db:password'])
    expect(JSON.stringify(a)).not.toContain('hunter2')
  })

  it('names the Secret and key on both sides, whatever the names', () => {
    const staging = secretValueDigests(
      [{ name: 'db-staging', data: { password: b64('s3cret-value') } }],
      key,
      []
    )
    const production = secretValueDigests(
      [{ name: 'db-production', data: { pass: b64('s3cret-value'), user: b64('app') } }],
      key,
      []
    )
    expect(reusedSecretValues(production, staging, 'production', 'staging')).toEqual([
      'Secret/db-production key pass in production has the same value as Secret/db-staging key password in staging'
    ])
    expect(reusedSecretValues(staging, staging, 'production', 'staging')).toHaveLength(1)
  })

  it('leaves out certificates, empty values and keys declared shared', () => {
    const digests = secretValueDigests(
      [
        { name: 'tls', data: { 'tls.crt': b64('cert'), 'ca.crt': b64('ca'), 'tls.key': b64('key') } },
        { name: 'db', data: { username: b64('app'), port: b64('5432'), password: '' } }
      ],
      key,
      ['username', 'db/port']
    )
    expect(Object.keys(digests)).toEqual(['Secret/tls:tls.key'])
  })

  it('stringData counts as the API server would store it', () => {
    expect(manifestSecretData({ data: { a: b64('x') }, stringData: { b: 'y' } })).toEqual({
      a: b64('x'),
      b: b64('y')
    })
  })
})
