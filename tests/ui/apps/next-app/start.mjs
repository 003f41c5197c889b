// A stand-in for `next start`: serves the prerendered page on -p/-H (like Next's flags),
// through a child that ignores SIGTERM, so stopping must reach the whole process group.
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.lastIndexOf(name)
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback
}
if (process.env.SAMPLE_CHILD !== '1') {
  const child = spawn(process.execPath, [process.argv[1], ...args], {
    stdio: 'inherit', env: { ...process.env, SAMPLE_CHILD: '1' },
  })
  child.on('exit', (code) => process.exit(code ?? 1))
} else {
  process.on('SIGTERM', () => {}) // outlives its parent: only a group SIGKILL ends it
  const page = readFileSync('.next/server/pages/index.html')
  createServer((req, res) => {
    res.writeHead(req.url === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(req.url === '/' ? page : 'not found')
  }).listen(Number(flag('-p', '3000')), flag('-H', 'localhost'),
    () => console.log(`ready on ${flag('-H', 'localhost')}:${flag('-p', '3000')}`))
}
