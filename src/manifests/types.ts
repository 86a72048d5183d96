/** A Kubernetes object as it appears in a manifest: plain JSON. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [key: string]: unknown
  }
  [key: string]: unknown
}

export interface SourceLocation {
  /** Relative to the workspace. */
  file: string
  line: number
}

export interface LoadedManifest {
  object: KubeObject
  source: SourceLocation
}
