// Writes public/index.html: an app no framework detection knows, with a configured output.
const fs = require('node:fs')
fs.mkdirSync('public', { recursive: true })
fs.writeFileSync('public/index.html', '<!doctype html><html><body><p>plain sample</p></body></html>\n')
console.log('built public/index.html')
