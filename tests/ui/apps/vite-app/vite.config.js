// Read by maestro-tasks for the output folder only; this sample has no real Vite.
export default {
  build: { outDir: 'site' },
}
