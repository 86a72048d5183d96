/**
 * One error type for every way a stage can end badly. `code` is the stable,
 * machine-readable `failure-reason` output; `message` is what a person reads.
 * `file`/`line` turn into an error annotation on the manifest or smoke file.
 */
/** The failure-reason output: stable codes that workflows may branch on (README lists each). */
export const FAILURE_CODES = [
  'InvalidInput',
  'InvalidManifest',
  'RenderFailed',
  'ClusterUnreachable',
  'Forbidden',
  'NamespaceGuard',
  'ScopeViolation',
  'MissingReference',
  'SecretNotProduced',
  'SecretReused',
  'CrossEnvironmentReference',
  'PreflightFailed',
  'AdmissionDenied',
  'PreflightWarning',
  'ApplySetConflict',
  'ApplyConflict',
  'ApplyFailed',
  'CrashLoop',
  'ImagePull',
  'ContainerConfig',
  'Unschedulable',
  'ProgressDeadline',
  'JobFailed',
  'MigrationTooSlow',
  'ResourceFailed',
  'Timeout',
  'DigestConflict',
  'SmokeFailed',
  'PodRestarted',
  'OOMKilled',
  'ReadinessLost',
  'Evicted',
  'AnalysisFailed',
  'AnalysisInconclusive',
  'PruneFailed',
  'InvalidSmokeSpec',
  'PromotionRefused',
  'ParityFailed',
  'IsolationNotEnforced',
  'StageBusy',
  'Internal'
] as const

export type FailureCode = (typeof FAILURE_CODES)[number]

export interface ErrorLocation {
  file: string
  line?: number
  column?: number
}

export class StageError extends Error {
  readonly code: FailureCode
  readonly location?: ErrorLocation
  /** Further lines (one per object or field) shown under the message. */
  readonly details: string[]
  /** Longer evidence (a log tail), shown collapsed in the summary. */
  readonly evidence: { title: string; text: string }[]

  constructor(
    code: FailureCode,
    message: string,
    options: {
      location?: ErrorLocation
      details?: string[]
      evidence?: { title: string; text: string }[]
      cause?: unknown
    } = {}
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StageError'
    this.code = code
    this.location = options.location
    this.details = options.details ?? []
    this.evidence = options.evidence ?? []
  }
}

export function isStageError(error: unknown): error is StageError {
  return error instanceof StageError
}
