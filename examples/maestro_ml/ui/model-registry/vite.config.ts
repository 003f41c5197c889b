import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      // The serving API from docker-compose (api service).
      "/api": "http://localhost:8000",
    },
  },
  preview: {
    port: 4173,
    strictPort: true,
  },
});
