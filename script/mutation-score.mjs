// After `stryker run`: the mutation score of each mutated file, and a failure when any
// is under the bar. Stryker's own break threshold is for the whole run; one weak file
// would hide behind strong ones, so the bar is checked per file here.
import { readFileSync } from 'node:fs'

const BAR = Number(process.env.MUTATION_SCORE_BAR ?? 85)
const report = JSON.parse(readFileSync(process.argv[2] ?? 'reports/mutation/mutation.json', 'utf8'))

const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])
const rows = Object.entries(report.files)
  .map(([file, { mutants }]) => {
    const detected = mutants.filter(m => DETECTED.has(m.status)).length
    const valid = detected + mutants.filter(m => UNDETECTED.has(m.status)).length
    return { file, detected, valid, score: valid ? (100 * detected) / valid : 100 }
  })
  .sort((a, b) => a.score - b.score)

const below = rows.filter(r => r.score < BAR)
for (const r of rows)
  console.log(
    `${r.score.toFixed(1).padStart(6)}%  ${String(r.detected).padStart(4)}/${String(r.valid).padEnd(4)} ${r.file}`
  )
const all = rows.reduce((sum, r) => ({ detected: sum.detected + r.detected, valid: sum.valid + r.valid }), {
  detected: 0,
  valid: 0
})
console.log(
  `${((100 * all.detected) / all.valid).toFixed(1)}% of ${all.valid} valid mutants detected in ${rows.length} files`
)
if (below.length) {
  console.error(`mutation score under ${BAR}% in: ${below.map(r => r.file).join(', ')}`)
  process.exit(1)
}
