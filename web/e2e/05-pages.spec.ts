// Must show: axe-core finds no serious or critical violation on any page; screenshots of the
// main pages at 390×844 and 1280×800. Measures the first load: bytes transferred (compressed)
// and time until the events list is usable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { Api, VOLUNTEERING, createEvent, expectDiscreetChrome, fixtures, signInBrowser, signInDev } from './helpers';

const { alumna, coordinator } = fixtures.members;
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];

async function checkPage(page: Page, name: string, path: string, heading: string | RegExp): Promise<void> {
  await page.setViewportSize(VIEWPORTS[1]);
  await page.goto(path);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  // Let the page's data arrive before judging it.
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
  await expectDiscreetChrome(page);
  await expect(page.locator('header')).toHaveCount(1);
  await expect(page.locator('main')).toHaveCount(1);
  await expect(page.locator('footer')).toHaveCount(1);

  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad, `${name} at ${vp.width}px`).toEqual([]);
    // No horizontal scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} fits ${vp.width}px`).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(fixtures.screenshotsDir, `${name}-${vp.width}x${vp.height}.png`), fullPage: true });
  }
}

test('Pages.SignInIsAccessible', async ({ page }) => {
  await checkPage(page, 'sign-in', '/sign-in', 'Sign in');
  // Errors are announced and name the field.
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await expect(page.getByRole('alert')).toContainText('Email');
});

test('Pages.AlumniPagesAreAccessible', async ({ browser }) => {
  const coord = await Api.as(coordinator);
  const { eventId } = await createEvent(coord, `Art afternoon ${Date.now()}`, 8);
  const role = await coord.call<{ role: { roleId: string } }>(`${VOLUNTEERING}/PostRole`, {
    role: { title: `Greeter ${Date.now()}`, description: 'Welcome people at the door.', venue: 'Main hall' },
  });
  const context = await browser.newContext();
  const page = await signInBrowser(context, alumna);
  await checkPage(page, 'events', '/', 'Upcoming events');
  await checkPage(page, 'event', `/events/${eventId}`, /^Art afternoon/);
  await checkPage(page, 'my-rsvps', '/my/rsvps', 'My RSVPs');
  await checkPage(page, 'volunteer', '/volunteer', 'Volunteer');
  await checkPage(page, 'role', `/volunteer/roles/${role.role.roleId}`, /^Greeter/);
  await checkPage(page, 'my-volunteering', '/my/volunteering', 'My volunteering');
  await checkPage(page, 'inbox', '/inbox', 'Inbox');
  await checkPage(page, 'settings', '/settings', 'Settings');
  await checkPage(page, 'directory', '/directory', 'Directory');
  await context.close();
  await coord.dispose();
});

test('Pages.CoordinatorPagesAreAccessible', async ({ browser }) => {
  const coord = await Api.as(coordinator);
  const { eventId } = await createEvent(coord, `Volunteer dinner ${Date.now()}`, 12);
  const role = await coord.call<{ role: { roleId: string } }>(`${VOLUNTEERING}/PostRole`, {
    role: { title: `Set-up crew ${Date.now()}`, venue: 'Main hall', requiresApproval: true },
  });
  const context = await browser.newContext();
  const page = await signInBrowser(context, coordinator);
  await checkPage(page, 'coordinator', '/coordinator', 'Coordinate');
  await checkPage(page, 'coordinator-event-new', '/coordinator/events/new', 'New event');
  await checkPage(page, 'coordinator-event', `/coordinator/events/${eventId}`, /^Volunteer dinner/);
  await checkPage(page, 'coordinator-role-new', '/coordinator/roles/new', 'Post a volunteer role');
  await checkPage(page, 'coordinator-role', `/coordinator/roles/${role.role.roleId}`, /^Set-up crew/);
  // A form error is announced and names the field.
  await page.goto('/coordinator/events/new');
  await page.getByRole('button', { name: 'Create event' }).click();
  await expect(page.getByRole('alert')).toHaveText(/^Title:/);
  await context.close();
  await coord.dispose();
});

test('Pages.KeyboardOnlyReachesAnEvent', async ({ browser }) => {
  const coord = await Api.as(coordinator);
  await createEvent(coord, `Pottery class ${Date.now()}`, 6);
  await coord.dispose();
  const context = await browser.newContext();
  const page = await signInBrowser(context, alumna);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Upcoming events' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  // Tab until the first event link has focus, then follow it with Enter.
  const first = page.getByTestId('events-list').getByRole('link').first();
  await expect(first).toBeVisible();
  for (let i = 0; i < 40 && !(await first.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(first).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/events\//);
  await context.close();
});

test('Pages.FirstLoadSizeAndTimeToInteractive', async ({ browser }) => {
  // A fresh context: empty cache, as a first visit.
  const context = await browser.newContext();
  await signInDev(context.request, alumna);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let bytes = 0;
  const byUrl: Record<string, number> = {};
  const urls = new Map<string, string>();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    const u = urls.get(e.requestId) ?? e.requestId;
    byUrl[u] = (byUrl[u] ?? 0) + e.encodedDataLength;
  });
  const t0 = Date.now();
  await page.goto('/');
  await expect(page.getByTestId('events-list').or(page.getByText('No events match'))).toBeVisible();
  const wallMs = Date.now() - t0;
  const sinceNavigationMs = await page.evaluate(() => Math.round(performance.now()));
  // Bytes of the app itself (document, JS, CSS, icon), without the API's answers and the stream.
  const appBytes = Object.entries(byUrl)
    .filter(([u]) => !/\/(alumni\.|auth\/|stream\/)/.test(u))
    .reduce((s, [, n]) => s + n, 0);
  const report = {
    transferredBytes: bytes,
    appTransferredBytes: appBytes,
    timeToInteractiveMs: sinceNavigationMs,
    wallClockToEventsListMs: wallMs,
    requests: byUrl,
  };
  console.log(
    `first load: ${(bytes / 1024).toFixed(1)} kB transferred (${(appBytes / 1024).toFixed(1)} kB of app), ` +
      `events list usable ${sinceNavigationMs} ms after navigation start`,
  );
  writeFileSync(join(fixtures.screenshotsDir, 'first-load.json'), JSON.stringify(report, null, 2));
  expect(appBytes).toBeLessThanOrEqual(150 * 1024);
  await context.close();
});
