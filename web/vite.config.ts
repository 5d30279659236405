import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The edge serves dist/ and the API from one origin, so the app needs no base URL. During
// development `npx vite` proxies the API paths to a running edge (HC_WEB_DEV_EDGE).
const edge = process.env.HC_WEB_DEV_EDGE ?? 'http://127.0.0.1:17080';

export default defineConfig({
  plugins: [preact()],
  build: {
    target: 'es2022',
    // No inline <script> or data: modules: the edge's CSP is script-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '^/(auth|stream|alumni\\.)': { target: edge, changeOrigin: false },
    },
  },
});
