// Alumni event screens: upcoming events (filters), one event (RSVP, waitlist, calendar), my RSVPs.
import { useEffect, useState } from 'preact/hooks';
import { download, events, type Session } from '../api';
import { onInboxItem, onInboxResync } from '../inbox-stream';
import type { Event, EventKind, MyRsvp, Rsvp } from '../types';
import { Alert, KIND_LABELS, Loading, formatRange, useAction, useLoad, useTitle } from '../ui';

function seatsText(e: Event): string {
  if (e.status === 'EVENT_STATUS_CANCELLED') return 'Cancelled';
  if (e.seatsLeft > 0) return `${e.seatsLeft} ${e.seatsLeft === 1 ? 'seat' : 'seats'} left`;
  return e.waitlistEnabled ? 'Full — waitlist open' : 'Full';
}

function where(e: Event) {
  if (e.onlineUrl) return <span>Online</span>;
  return <span>{e.venue}</span>;
}

export function EventCard({ event, manage }: { event: Event; manage?: boolean }) {
  return (
    <li class="card">
      <h2 class="card-title">
        <a href={manage ? `/coordinator/events/${event.eventId}` : `/events/${event.eventId}`}>{event.title}</a>
      </h2>
      <p class="meta">
        <span class="tag">{KIND_LABELS[event.kind] ?? 'Event'}</span> {formatRange(event.startTime, event.endTime, event.timeZone)}
      </p>
      <p class="meta">
        {where(event)} · <span class={event.seatsLeft > 0 ? 'ok' : 'warn'}>{seatsText(event)}</span>
      </p>
    </li>
  );
}

export function EventsPage() {
  useTitle('');
  const [kind, setKind] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [pageToken, setPageToken] = useState('');
  const [more, setMore] = useState<Event[]>([]);
  const { data, error, loading } = useLoad(
    () =>
      events.list({
        kinds: kind ? [kind as EventKind] : [],
        startFrom: from ? new Date(`${from}T00:00`).toISOString() : undefined,
        startBefore: to ? new Date(new Date(`${to}T00:00`).getTime() + 86400000).toISOString() : undefined,
        pageSize: 20,
      }),
    [kind, from, to],
  );
  useEffect(() => {
    setMore([]);
    setPageToken(data?.nextPageToken ?? '');
  }, [data]);
  const loadMore = useAction();
  const list = [...(data?.events ?? []), ...more];

  return (
    <section>
      <h1>Upcoming events</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter events">
        <div class="field">
          <label for="f-kind">Kind</label>
          <select id="f-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="">Any kind</option>
            {Object.entries(KIND_LABELS).map(([k, v]) => (
              <option value={k}>{v}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" type="date" value={from} onChange={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" type="date" value={to} onChange={(e) => setTo((e.target as HTMLInputElement).value)} />
        </div>
      </form>
      <Alert message={error} />
      {loading && !data ? (
        <Loading what="events" />
      ) : list.length === 0 ? (
        <p>No events match. Try another kind or dates.</p>
      ) : (
        <ul class="cards" aria-label="Events" data-testid="events-list">
          {list.map((e) => (
            <EventCard key={e.eventId} event={e} />
          ))}
        </ul>
      )}
      <Alert message={loadMore.error} />
      {pageToken && (
        <button
          type="button"
          disabled={loadMore.busy}
          onClick={() =>
            loadMore.run(async () => {
              const r = await events.list({
                kinds: kind ? [kind as EventKind] : [],
                pageSize: 20,
                pageToken,
                startFrom: from ? new Date(`${from}T00:00`).toISOString() : undefined,
                startBefore: to ? new Date(new Date(`${to}T00:00`).getTime() + 86400000).toISOString() : undefined,
              });
              setMore((m) => [...m, ...r.events]);
              setPageToken(r.nextPageToken);
            })
          }
        >
          More events
        </button>
      )}
    </section>
  );
}

async function findMyRsvp(eventId: string): Promise<Rsvp | null> {
  const r = await events.myRsvps(true);
  const mine = r.rsvps.find((m) => m.rsvp.eventId === eventId);
  return mine ? mine.rsvp : null;
}

function rsvpText(r: Rsvp | null): string {
  if (!r) return '';
  switch (r.status) {
    case 'RSVP_STATUS_GOING':
      return r.checkedIn ? "You're going — checked in" : "You're going";
    case 'RSVP_STATUS_WAITLISTED':
      return `You're on the waitlist: number ${r.waitlistPosition} in line`;
    case 'RSVP_STATUS_CANCELLED':
      return 'You cancelled your RSVP';
    default:
      return '';
  }
}

export function EventPage({ id }: { id: string; session: Session }) {
  const ev = useLoad(() => events.get(id), [id]);
  const mine = useLoad(() => findMyRsvp(id), [id]);
  const act = useAction();
  const title = ev.data?.event.title ?? 'Event';
  useTitle('Event');

  // A promotion (or a cancellation) arrives as an inbox item about this event: refresh. So does
  // a stream's start, since an item that came while there was none is never sent.
  useEffect(() => {
    const refresh = () => {
      void ev.reload();
      void mine.reload();
    };
    const offItem = onInboxItem((item) => {
      if (item.eventId === id) refresh();
    });
    const offResync = onInboxResync(refresh);
    return () => {
      offItem();
      offResync();
    };
  }, [id, ev.reload, mine.reload]);

  if (ev.error) return <Alert message={ev.error} />;
  if (!ev.data) return <Loading what="the event" />;
  const e = ev.data.event;
  const r = mine.data ?? null;
  const active = r && (r.status === 'RSVP_STATUS_GOING' || r.status === 'RSVP_STATUS_WAITLISTED');
  const cancelled = e.status === 'EVENT_STATUS_CANCELLED';
  const full = e.seatsLeft <= 0;

  return (
    <article>
      <p>
        <a href="/">← All events</a>
      </p>
      <h1>{title}</h1>
      {cancelled && <p class="alert-inline">This event was cancelled.</p>}
      <dl class="facts">
        <dt>When</dt>
        <dd>{formatRange(e.startTime, e.endTime, e.timeZone)} ({e.timeZone})</dd>
        <dt>Where</dt>
        <dd>
          {e.onlineUrl ? (
            <a href={e.onlineUrl} rel="noopener noreferrer">
              Join online
            </a>
          ) : (
            e.venue
          )}
        </dd>
        <dt>Kind</dt>
        <dd>{KIND_LABELS[e.kind] ?? 'Event'}</dd>
        <dt>Seats</dt>
        <dd data-testid="seats-left">{seatsText(e)}</dd>
      </dl>
      {e.description && <p class="description">{e.description}</p>}
      <div aria-live="polite" data-testid="rsvp-state" class="rsvp-state">
        {rsvpText(r)}
      </div>
      <Alert message={act.error} />
      <div class="actions">
        {!cancelled && !active && (
          <button
            type="button"
            class="primary"
            disabled={act.busy || (full && !e.waitlistEnabled)}
            onClick={() =>
              act.run(async () => {
                const res = await events.rsvp(id);
                mine.setData(res.rsvp);
                await ev.reload();
              })
            }
          >
            {full ? 'Join the waitlist' : 'RSVP'}
          </button>
        )}
        {!cancelled && active && (
          <button
            type="button"
            disabled={act.busy}
            onClick={() =>
              act.run(async () => {
                const res = await events.cancelRsvp(id);
                mine.setData(res.rsvp);
                await ev.reload();
              })
            }
          >
            Cancel my RSVP
          </button>
        )}
        <button
          type="button"
          disabled={act.busy}
          onClick={() =>
            act.run(async () => {
              const c = await events.exportCalendar({ eventId: id });
              download(c.filename, c.contentType, c.ics);
            })
          }
        >
          Add to calendar
        </button>
      </div>
    </article>
  );
}

export function MyRsvpsPage() {
  useTitle('My RSVPs');
  const { data, error, loading } = useLoad(() => events.myRsvps(false), []);
  const act = useAction();
  return (
    <section>
      <h1>My RSVPs</h1>
      <Alert message={error} />
      <Alert message={act.error} />
      {loading && !data ? (
        <Loading what="your RSVPs" />
      ) : !data || data.rsvps.length === 0 ? (
        <p>
          No RSVPs yet. <a href="/">Find an event</a>.
        </p>
      ) : (
        <>
          <ul class="cards">
            {data.rsvps.map((m: MyRsvp) => (
              <li class="card" key={m.event.eventId}>
                <h2 class="card-title">
                  <a href={`/events/${m.event.eventId}`}>{m.event.title}</a>
                </h2>
                <p class="meta">{formatRange(m.event.startTime, m.event.endTime, m.event.timeZone)}</p>
                <p class="meta">{m.event.status === 'EVENT_STATUS_CANCELLED' ? 'Event cancelled' : rsvpText(m.rsvp)}</p>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() =>
              act.run(async () => {
                const c = await events.exportCalendar({ myRsvps: true });
                download(c.filename, c.contentType, c.ics);
              })
            }
          >
            Add all to calendar
          </button>
        </>
      )}
    </section>
  );
}
