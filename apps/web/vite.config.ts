import { sveltekit } from '@sveltejs/kit/vite';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources; the defaults stay so that
// packages with browser builds (svelte itself) still resolve to them in the client bundle.
export default defineConfig({
  plugins: [sveltekit()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  server: {
    // `vite dev` serves the pages; the collaboration server (default port 8000) answers /trpc.
    proxy: {
      '/trpc': { target: process.env.COLLAB_SERVER_URL ?? 'http://127.0.0.1:8000', ws: true },
    },
  },
  // The timing report lists SvelteKit's own post-build steps on every build; it is not actionable here.
  build: { rolldownOptions: { checks: { bundlerTimings: false } } },
  test: { include: ['src/**/*.test.ts'] },
});
