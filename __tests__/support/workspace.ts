/** A throwaway workspace holding the given files, as a checked-out repository would. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export function workspaceWith(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'kube-stage-ws-'))
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), content)
  }
  return root
}

/** A Deployment manifest with the given name and options. */
export function deploymentYaml(
  name: string,
  options: {
    replicas?: number
    image?: string
    labels?: Record<string, string>
    env?: string
    extraSpec?: string
  } = {}
): string {
  const labels = Object.entries({ app: name, ...options.labels })
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ')
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${options.replicas ?? 1}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { ${labels} }
    spec:
      containers:
        - name: app
          image: ${options.image ?? 'ghcr.io/example/app:1.0.0'}
${options.env ?? ''}${options.extraSpec ?? ''}`
}
