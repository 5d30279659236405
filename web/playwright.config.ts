// Browser tests against the real stack. scripts/browser-test.sh starts the services and the
// edge and sets HC_E2E_BASE_URL, HC_E2E_MAILPIT_URL and HC_E2E_FIXTURES; nothing here starts a
// server or downloads a browser: Debian's Chromium is driven directly.
import { defineConfig, devices } from '@playwright/test';

export default defineConfig({
  testDir: './e2e',
  // Files run in name order (01-…, 02-…): the first signs the alumna in by the emailed link.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    ...devices['Desktop Chrome'],
    baseURL: process.env.HC_E2E_BASE_URL,
    viewport: { width: 1280, height: 800 },
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/lib/chromium/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
});
