// Must show: a coordinator creates an event, checks an attendee in and cancels it; the
// alumna's calendar download then carries METHOD:CANCEL.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { Api, EVENTS, eventDay, expectDiscreetChrome, fixtures, signInBrowser } from './helpers';

const { alumna, coordinator } = fixtures.members;

function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

test('Coordinator.CreatesChecksInAndCancels', async ({ browser }) => {
  const coordContext = await browser.newContext();
  const page = await signInBrowser(coordContext, coordinator);
  await page.goto('/coordinator');
  await expectDiscreetChrome(page);
  await page.getByRole('link', { name: 'New event' }).click();

  const title = `Picnic in the park ${Date.now()}`;
  const when = eventDay();
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Description', { exact: true }).fill('Bring a blanket.');
  await page.getByLabel('Kind', { exact: true }).selectOption({ label: 'Social' });
  await page.getByLabel('Starts', { exact: true }).fill(localInput(when.start));
  await page.getByLabel('Ends', { exact: true }).fill(localInput(when.end));
  await page.getByLabel('Venue', { exact: true }).fill('Riverside Park pavilion');
  await page.getByLabel('Capacity', { exact: true }).fill('10');
  await page.getByRole('button', { name: 'Create event' }).click();
  // "/coordinator/events/new" matches a looser pattern: wait for the new event's own id.
  await expect(page).toHaveURL(/\/coordinator\/events\/[0-9a-f-]{36}$/);
  const eventId = page.url().split('/').pop()!;
  await expect(page.getByRole('heading', { name: title })).toBeVisible();

  const ana = await Api.as(alumna);
  await ana.call(`${EVENTS}/Rsvp`, { eventId });
  // At the door: on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.getByRole('button', { name: /^Check in / }).first().click();
  await expect(page.getByRole('button', { name: /^Undo check-in for / })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Attendees' })).toContainText('checked in');

  await page.getByRole('button', { name: 'Cancel event', exact: true }).click();
  await page.getByRole('button', { name: 'Yes, cancel the event' }).click();
  await expect(page.getByTestId('event-status')).toHaveText('Cancelled');

  // The alumna's "Add to calendar" now carries the cancellation.
  const anaContext = await browser.newContext({ acceptDownloads: true });
  const anaPage = await signInBrowser(anaContext, alumna);
  await anaPage.goto(`/events/${eventId}`);
  await expect(anaPage.getByText('This event was cancelled.')).toBeVisible();
  const [download] = await Promise.all([
    anaPage.waitForEvent('download'),
    anaPage.getByRole('button', { name: 'Add to calendar' }).click(),
  ]);
  const ics = readFileSync((await download.path())!, 'utf8');
  expect(ics).toContain('BEGIN:VCALENDAR');
  expect(ics).toContain('METHOD:CANCEL');

  await anaContext.close();
  await coordContext.close();
  await ana.dispose();
});
