import { failedCreateEvent, lastWritten, refusedByEvent } from '../../../src/kube/status/failed-create.js'
import type { KubeObject } from '../../../src/manifests/types.js'

const quota =
  'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0'

const event = (over: Record<string, unknown> = {}) => ({
  involvedObject: { kind: 'StatefulSet', name: 'db', namespace: 'shop' },
  reason: 'FailedCreate',
  message: quota,
  source: { component: 'statefulset-controller' },
  lastTimestamp: '2026-12-07T10:00:05Z',
  ...over
})

const db = (written = '2026-12-07T10:00:04Z'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: {
    name: 'db',
    namespace: 'shop',
    creationTimestamp: '2026-12-01T00:00:00Z',
    managedFields: [{ manager: 'kube-stage', time: written }]
  } as KubeObject['metadata']
})

describe('FailedCreate events', () => {
  it("are believed from the kind's own controller only", () => {
    expect(failedCreateEvent(event())).toEqual({
      key: 'shop/StatefulSet/db',
      message: quota,
      at: Date.parse('2026-12-07T10:00:05Z')
    })
    expect(failedCreateEvent(event({ source: { component: 'my-app' } }))).toBeUndefined()
    expect(failedCreateEvent(event({ reason: 'SuccessfulCreate' }))).toBeUndefined()
    expect(failedCreateEvent(event({ involvedObject: { kind: 'Deployment', name: 'db' } }))).toBeUndefined()
    expect(
      failedCreateEvent(
        event({
          involvedObject: { kind: 'Job', name: 'migrate', namespace: 'shop' },
          source: {},
          reportingComponent: 'job-controller'
        })
      )?.key
    ).toBe('shop/Job/migrate')
  })

  it('fail the object when newer than its last write, with the reason', () => {
    const verdict = refusedByEvent(db(), failedCreateEvent(event()), [])
    expect(verdict).toMatchObject({ state: 'Failed', failure: { code: 'AdmissionDenied' } })
    expect(verdict?.failure?.reason).toContain('exceeded quota')
  })

  it('say nothing about this rollout when older than the last write', () => {
    expect(refusedByEvent(db('2026-12-07T10:00:06Z'), failedCreateEvent(event()), [])).toBeUndefined()
    expect(lastWritten(db('2026-12-07T10:00:06Z'))).toBe(Date.parse('2026-12-07T10:00:06Z'))
  })

  it('wait while pods of the namespace are terminating and will give their quota back', () => {
    const leaving = { metadata: { name: 'old', deletionTimestamp: '2026-12-07T10:00:00Z' } }
    expect(refusedByEvent(db(), failedCreateEvent(event()), [leaving as never])).toBeUndefined()
  })
})
