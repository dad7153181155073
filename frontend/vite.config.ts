import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// base './' keeps every asset URL relative, so the same build loads from
// `holdfast serve` at any port and from the Wails asset server.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    restoreMocks: true,
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
});
