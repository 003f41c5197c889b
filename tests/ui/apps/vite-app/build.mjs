// A dependency-free stand-in for `vite build`: copies index.html and the entry into site/.
import { appendFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'

rmSync('site', { recursive: true, force: true })
mkdirSync('site/assets', { recursive: true })
cpSync('index.html', 'site/index.html')
cpSync('src/main.js', 'site/assets/main.js')
writeFileSync('site/build-env.json', JSON.stringify({
  CI: process.env.CI ?? null,
  NEXT_TELEMETRY_DISABLED: process.env.NEXT_TELEMETRY_DISABLED ?? null,
}))
console.log('built site/index.html')

// Test hook: a slow build that records its [start, end] so a test can see builds overlap.
if (process.env.SAMPLE_BUILD_TIMES) {
  const start = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 2500))
  appendFileSync(process.env.SAMPLE_BUILD_TIMES, `vite-app ${start} ${Date.now()}\n`)
}
