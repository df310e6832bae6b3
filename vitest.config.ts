import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests spawn the built `agt`; they need `npm run build` first (globalSetup does it once).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
  },
});
