import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, assetsInlineLimit: 0,
    // The app, and the read-only embed of a share link (/embed/:linkToken, served by the gateway as embed.html).
    rollupOptions: { input: { main: 'index.html', embed: 'embed.html' } },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/.well-known': 'http://127.0.0.1:8080' } },
});
