// A dependency-free stand-in for `next build`: a BUILD_ID and a prerendered page in .next/.
import { appendFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs'

mkdirSync('.next/server/pages', { recursive: true })
cpSync('pages/index.html', '.next/server/pages/index.html')
writeFileSync('.next/BUILD_ID', `sample-${Date.now()}`)
writeFileSync('next-env.d.ts', '/// <reference types="next" />\n')
console.log('built .next/')

// Test hook: a slow build that records its [start, end] so a test can see builds overlap.
if (process.env.SAMPLE_BUILD_TIMES) {
  const start = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 2500))
  appendFileSync(process.env.SAMPLE_BUILD_TIMES, `next-app ${start} ${Date.now()}\n`)
}
