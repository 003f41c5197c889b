// Read by maestro-tasks to find the build folder; this sample has no real Next.js.
module.exports = { reactStrictMode: true }
