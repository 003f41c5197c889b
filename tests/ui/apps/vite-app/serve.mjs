// A stand-in for `vite preview`: serves site/ on --port/--host (like Vite's flags).
import { createServer } from 'node:http'
import { appendFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.lastIndexOf(name)
  return i >= 0 && args[i + 1] && !args[i + 1].startsWith('--') ? args[i + 1] : fallback
}
const port = Number(flag('--port', '4173'))
const host = flag('--host', 'localhost')
// Test hooks: count server starts (SAMPLE_SERVE_STARTS names a file), or fail to start.
if (process.env.SAMPLE_SERVE_STARTS) appendFileSync(process.env.SAMPLE_SERVE_STARTS, `${port}\n`)
if (process.env.SAMPLE_SERVE_FAIL) {
  console.error('sample preview: failing on purpose')
  process.exit(3)
}
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json' }

createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
  const file = join('site', path.endsWith('/') ? path + 'index.html' : path)
  try {
    const body = await readFile(file)
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' })
    res.end(body)
  } catch {
    res.writeHead(404).end('not found')
  }
}).listen(port, host, () => console.log(`preview on http://${host}:${port}/`))
