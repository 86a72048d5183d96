/**
 * The jq worker thread as the main thread sees it: one worker (jq-worker.ts), started when a
 * checks file has a jq assertion, reused by every expression, stopped at the end of the checks.
 *
 * jq runs there, not here, because an expression can run for as long as the response makes it
 * (`any(range(.n); . < 0)` with a large `n`): on the main thread that would stop every timer,
 * the stage's deadlines and the Lease renewal with them. Expressions run one at a time, each
 * within its own time limit, counted from when it reaches a worker that has loaded jq (start-up
 * is not charged to it). One that runs past its limit has its worker terminated, the only way
 * to stop jq mid-expression; the next expression gets a new worker.
 *
 * An idle worker never keeps the process alive (unref): only one with work to do.
 */
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { formatDuration } from '../duration.js'

/** What the main thread sends: jq's input, its filter and its flags. */
export interface JqRequest {
  id: number
  input: string
  filter: string
  flags: string[]
}

/** What the worker sends back: once ready or loadError, then one reply per request. */
export type JqReply =
  | { ready: true }
  | { loadError: string }
  | { id: number; stdout: string; stderr: string; exitCode: number }
  | { id: number; error: string }

export type JqOutcome =
  /** jq ran the expression to its end. */
  | { kind: 'done'; stdout: string; stderr: string; exitCode: number }
  /** Still running at the limit: its worker was terminated. */
  | { kind: 'timeout'; limitMs: number }
  /** No worker could run jq: the message says why (it names the worker or jq's load error). */
  | { kind: 'unavailable'; message: string }
  /** The expression broke jq or its thread (a trap in the WebAssembly), or jq was stopped. */
  | { kind: 'failed'; message: string }

/**
 * How long an expression may run, in ms: a number, or a function asked when the expression
 * starts (after those ahead of it), for a limit that depends on the time left.
 */
export type JqTimeLimit = number | (() => number)

/** Longest a worker may take to start and load jq before the expressions waiting for it fail. */
export const JQ_START_LIMIT_MS = 30_000

interface Job {
  input: string
  filter: string
  flags: string[]
  limit: JqTimeLimit
  resolve: (outcome: JqOutcome) => void
}

export class JqThread {
  private worker: Worker | undefined
  private ready = false
  /** Why no worker can run jq; kept, so later expressions fail at once with the same reason. */
  private unavailable: string | undefined
  private startTimer: NodeJS.Timeout | undefined
  private running: { job: Job; id: number; limitMs: number; timer: NodeJS.Timeout } | undefined
  private readonly queue: Job[] = []
  private lastId = 0
  /** Workers started so far (each timeout costs one more): tests read it. */
  starts = 0

  private readonly file: URL

  constructor(file: URL) {
    this.file = file
  }

  /** Whether a worker is there now (started, not yet stopped or lost). */
  get alive(): boolean {
    return this.worker !== undefined
  }

  /** Starts the worker (it loads jq meanwhile) unless it runs already. */
  start(): void {
    if (this.worker || this.unavailable !== undefined) return
    let worker: Worker
    try {
      // No environment: jq's $ENV must not see the job's (secrets included).
      worker = new Worker(this.file, { env: {} })
    } catch (error) {
      this.unavailable = this.cannotStart((error as Error).message)
      return
    }
    this.starts++
    this.worker = worker
    this.ready = false
    worker.unref()
    worker.on('message', (reply: JqReply) => this.received(worker, reply))
    worker.on('error', error => this.lost(worker, (error as Error).message))
    worker.on('exit', code => this.lost(worker, `it exited with code ${code}`))
    // Unref'd: a stage that ends before its checks run must not wait for it.
    this.startTimer = setTimeout(
      () => this.lost(worker, `jq was not loaded after ${formatDuration(JQ_START_LIMIT_MS)}`),
      JQ_START_LIMIT_MS
    ).unref()
  }

  /** Runs jq on `input`: its output, or why there is none. Never rejects. */
  run(request: { input: string; filter: string; flags: string[] }, limit: JqTimeLimit): Promise<JqOutcome> {
    return new Promise(resolve => {
      this.queue.push({ ...request, limit, resolve })
      this.pump()
    })
  }

  /** Terminates the worker; expressions still waiting fail. A later run starts a new one. */
  async stop(): Promise<void> {
    const running = this.running
    const worker = this.drop()
    this.unavailable = undefined
    const stopped: JqOutcome = { kind: 'failed', message: 'jq was stopped' }
    running?.job.resolve(stopped)
    this.failAll(stopped)
    if (worker) await worker.terminate()
  }

  private cannotStart(message: string): string {
    return `the jq worker could not be started from ${fileURLToPath(this.file)} (${message})`
  }

  /** Sends the next expression once a worker has loaded jq. */
  private pump(): void {
    if (this.running) return
    if (this.queue.length && !this.worker) this.start()
    if (this.unavailable !== undefined) {
      this.failAll({ kind: 'unavailable', message: this.unavailable })
      return
    }
    this.holdOpen()
    if (!this.worker || !this.ready || !this.queue.length) return
    const job = this.queue.shift()!
    const id = ++this.lastId
    const limitMs = typeof job.limit === 'number' ? job.limit : job.limit()
    const timer = setTimeout(() => this.timedOut(), limitMs)
    this.running = { job, id, limitMs, timer }
    const request: JqRequest = { id, input: job.input, filter: job.filter, flags: job.flags }
    this.worker.postMessage(request)
  }

  private received(worker: Worker, reply: JqReply): void {
    if (worker !== this.worker) return
    if ('ready' in reply) {
      this.ready = true
      clearTimeout(this.startTimer)
    } else if ('loadError' in reply) {
      this.unavailable = `jq could not be loaded (${reply.loadError})`
      void this.drop()?.terminate()
    } else if (this.running?.id === reply.id) {
      const { job, timer } = this.running
      clearTimeout(timer)
      this.running = undefined
      job.resolve(
        'error' in reply
          ? { kind: 'failed', message: reply.error }
          : { kind: 'done', stdout: reply.stdout, stderr: reply.stderr, exitCode: reply.exitCode }
      )
    }
    this.pump()
  }

  /** The worker failed or ended on its own: before jq loaded, no worker can run it. */
  private lost(worker: Worker, message: string): void {
    if (worker !== this.worker) return
    const running = this.running
    const loaded = this.ready
    void this.drop()?.terminate()
    if (!loaded) this.unavailable = this.cannotStart(message)
    else running?.job.resolve({ kind: 'failed', message: `the jq worker stopped (${message})` })
    this.pump()
  }

  private timedOut(): void {
    const { job, limitMs } = this.running!
    void this.drop()?.terminate()
    job.resolve({ kind: 'timeout', limitMs })
    // The expressions still waiting get a new worker.
    this.pump()
  }

  /** Forgets the current worker (and its expression) and returns it, for terminating. */
  private drop(): Worker | undefined {
    const worker = this.worker
    clearTimeout(this.startTimer)
    if (this.running) clearTimeout(this.running.timer)
    this.running = undefined
    this.worker = undefined
    this.ready = false
    return worker
  }

  private failAll(outcome: JqOutcome): void {
    for (const job of this.queue.splice(0)) job.resolve(outcome)
  }

  /** Keeps the process alive while there is work, not while the worker idles. */
  private holdOpen(): void {
    if (this.running || this.queue.length) this.worker?.ref()
    else this.worker?.unref()
  }
}
