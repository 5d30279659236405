// Must show: find an event, RSVP, see "going", cancel, see the seat free up; a second alumna on
// a full event sees her waitlist position and is promoted live when a seat frees.
import { expect, test } from '@playwright/test';
import { Api, EVENTS, createEvent, expectDiscreetChrome, fixtures, signInBrowser } from './helpers';

const { alumna, alumna2, alumnus, coordinator } = fixtures.members;

test('Rsvp.FindRsvpCancelFreesTheSeat', async ({ browser }) => {
  const coord = await Api.as(coordinator);
  const title = `Board games night ${Date.now()}`;
  const { eventId, day } = await createEvent(coord, title, 2);

  const context = await browser.newContext();
  const page = await signInBrowser(context, alumna);
  await page.goto('/');
  // Find it with the filters: its kind and its day.
  await page.getByLabel('Kind', { exact: true }).selectOption({ label: 'Social' });
  await page.getByLabel('From', { exact: true }).fill(day);
  await page.getByLabel('To', { exact: true }).fill(day);
  await page.getByRole('link', { name: title }).click();
  await expect(page).toHaveURL(new RegExp(`/events/${eventId}$`));
  await expectDiscreetChrome(page);
  await expect(page.getByTestId('seats-left')).toHaveText('2 seats left');

  await page.getByRole('button', { name: 'RSVP', exact: true }).click();
  await expect(page.getByTestId('rsvp-state')).toHaveText("You're going");
  await expect(page.getByTestId('seats-left')).toHaveText('1 seat left');

  await page.getByRole('button', { name: 'Cancel my RSVP' }).click();
  await expect(page.getByTestId('rsvp-state')).toHaveText('You cancelled your RSVP');
  await expect(page.getByTestId('seats-left')).toHaveText('2 seats left');

  await context.close();
  await coord.dispose();
});

test('Rsvp.WaitlistedAlumnaIsPromotedLive', async ({ browser }) => {
  const coord = await Api.as(coordinator);
  const { eventId } = await createEvent(coord, `Sunrise walk ${Date.now()}`, 1);
  const first = await Api.as(alumnus);
  const going = await first.call<{ rsvp: { status: string } }>(`${EVENTS}/Rsvp`, { eventId });
  expect(going.rsvp.status).toBe('RSVP_STATUS_GOING');

  const context = await browser.newContext();
  const page = await signInBrowser(context, alumna2);
  await page.goto(`/events/${eventId}`);
  await expect(page.getByTestId('seats-left')).toHaveText('Full — waitlist open');
  await page.getByRole('button', { name: 'Join the waitlist' }).click();
  await expect(page.getByTestId('rsvp-state')).toHaveText("You're on the waitlist: number 1 in line");

  // The seat frees; the promotion reaches her open page through the live inbox, no reload.
  await first.call(`${EVENTS}/CancelRsvp`, { eventId });
  await expect(page.getByTestId('rsvp-state')).toHaveText("You're going", { timeout: 45_000 });

  await context.close();
  await first.dispose();
  await coord.dispose();
});
