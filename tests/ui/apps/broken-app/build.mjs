// Deliberately broken: the build must fail with this syntax error in its log tail.
import { writeFileSync } from 'node:fs'
const page = '<!doctype html><div id="root"></div>'
writeFileSync('dist/index.html', page
console.log('unreachable'
