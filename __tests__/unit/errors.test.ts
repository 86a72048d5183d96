import { StageError, isStageError } from '../../src/errors.js'

describe('StageError', () => {
  it('keeps its code, location and details', () => {
    const error = new StageError('InvalidManifest', 'bad yaml', {
      location: { file: 'a.yaml', line: 3 },
      details: ['x']
    })
    expect(isStageError(error)).toBe(true)
    expect(error.code).toBe('InvalidManifest')
    expect(error.location).toEqual({ file: 'a.yaml', line: 3 })
    expect(error.details).toEqual(['x'])
    expect(isStageError(new Error('plain'))).toBe(false)
  })
})
