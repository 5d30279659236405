// Coordinator screens: the hub, an event's form / attendees / check-in / cancel, a role's
// shifts, sign-up approvals and hours reviews.
import { useState } from 'preact/hooks';
import { events, volunteering } from '../api';
import { navigate } from '../router';
import type { Event, EventDetails, EventKind, Recurrence, RoleDetails, Shift, Visibility } from '../types';
import {
  Alert,
  KIND_LABELS,
  Loading,
  Status,
  browserTimeZone,
  formatRange,
  fromLocalInput,
  toLocalInput,
  useAction,
  useLoad,
  useTitle,
} from '../ui';
import { EventCard } from './events';
import { signupText } from './volunteer';

export function CoordinatorHub() {
  useTitle('Coordinate');
  const evs = useLoad(() => events.list({ pageSize: 50 }), []);
  const roles = useLoad(() => volunteering.listRoles(), []);
  return (
    <section>
      <h1>Coordinate</h1>
      <div class="actions">
        <a class="button primary" href="/coordinator/events/new">
          New event
        </a>
        <a class="button" href="/coordinator/roles/new">
          Post a volunteer role
        </a>
        <a class="button" href="/coordinator/mentorship">
          Mentorship overview
        </a>
      </div>
      <h2>Events</h2>
      <Alert message={evs.error} />
      {evs.data ? (
        <ul class="cards">
          {evs.data.events.map((e) => (
            <EventCard key={e.eventId} event={e} manage />
          ))}
        </ul>
      ) : (
        !evs.error && <Loading what="events" />
      )}
      <h2>Volunteer roles</h2>
      <Alert message={roles.error} />
      {roles.data && (
        <ul class="cards">
          {roles.data.roles.map((r) => (
            <li class="card" key={r.roleId}>
              <h3 class="card-title">
                <a href={`/coordinator/roles/${r.roleId}`}>{r.details.title}</a>
              </h3>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface FormState {
  title: string;
  description: string;
  kind: EventKind;
  start: string;
  end: string;
  timeZone: string;
  where: 'venue' | 'online';
  venue: string;
  onlineUrl: string;
  capacity: string;
  waitlistEnabled: boolean;
  visibility: Visibility;
  repeat: '' | 'FREQUENCY_WEEKLY' | 'FREQUENCY_MONTHLY';
  count: string;
}

function initialForm(e?: Event): FormState {
  return {
    title: e?.title ?? '',
    description: e?.description ?? '',
    kind: e?.kind ?? 'EVENT_KIND_SOBER_SOCIAL',
    start: toLocalInput(e?.startTime),
    end: toLocalInput(e?.endTime),
    timeZone: e?.timeZone || browserTimeZone(),
    where: e?.onlineUrl ? 'online' : 'venue',
    venue: e?.venue ?? '',
    onlineUrl: e?.onlineUrl ?? '',
    capacity: e ? String(e.capacity) : '20',
    waitlistEnabled: e?.waitlistEnabled ?? true,
    visibility: e?.visibility ?? 'VISIBILITY_MEMBERS',
    repeat: '',
    count: '4',
  };
}

/** Checks the form; returns the first problem, naming the field, or the details. */
function validate(f: FormState): string | EventDetails {
  if (!f.title.trim()) return 'Title: enter a title.';
  if (!f.start) return 'Starts: choose a date and time.';
  if (!f.end) return 'Ends: choose a date and time.';
  if (new Date(f.end) <= new Date(f.start)) return 'Ends: must be after the start.';
  if (!f.timeZone.trim()) return 'Time zone: enter one, e.g. America/Chicago.';
  if (f.where === 'venue' && !f.venue.trim()) return 'Venue: enter where to go.';
  if (f.where === 'online' && !/^https:\/\//.test(f.onlineUrl.trim())) return 'Online link: enter an https:// address.';
  const capacity = Number(f.capacity);
  if (!Number.isInteger(capacity) || capacity < 1) return 'Capacity: enter a whole number, 1 or more.';
  return {
    title: f.title.trim(),
    description: f.description.trim(),
    kind: f.kind,
    startTime: fromLocalInput(f.start),
    endTime: fromLocalInput(f.end),
    timeZone: f.timeZone.trim(),
    ...(f.where === 'venue' ? { venue: f.venue.trim() } : { onlineUrl: f.onlineUrl.trim() }),
    capacity,
    waitlistEnabled: f.waitlistEnabled,
    visibility: f.visibility,
  };
}

function EventForm({
  event,
  submitLabel,
  onSubmit,
}: {
  event?: Event;
  submitLabel: string;
  onSubmit: (d: EventDetails, recurrence?: Recurrence) => Promise<void>;
}) {
  const [f, setF] = useState<FormState>(() => initialForm(event));
  const act = useAction();
  const [saved, setSaved] = useState('');
  const set = <K extends keyof FormState>(k: K) => (e: Event | globalThis.Event) => {
    const t = (e as globalThis.Event).target as HTMLInputElement;
    setF({ ...f, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };
  const text = (id: string, label: string, k: keyof FormState, type: 'text' | 'number' | 'url' | 'datetime-local' = 'text') => (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type={type as 'text'} value={f[k] as string} onInput={set(k)} />
    </div>
  );
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setSaved('');
        const d = validate(f);
        if (typeof d === 'string') {
          act.setError(d);
          return;
        }
        const count = Number(f.count);
        if (f.repeat && (!Number.isInteger(count) || count < 2 || count > 52)) {
          act.setError('Occurrences: enter a number from 2 to 52.');
          return;
        }
        void act.run(async () => {
          await onSubmit(d, f.repeat ? { frequency: f.repeat, count } : undefined);
          setSaved('Saved.');
        });
      }}
    >
      {text('ev-title', 'Title', 'title')}
      <div class="field">
        <label for="ev-description">Description</label>
        <textarea id="ev-description" rows={4} value={f.description} onInput={set('description')} />
      </div>
      <div class="field">
        <label for="ev-kind">Kind</label>
        <select id="ev-kind" value={f.kind} onChange={set('kind')}>
          {Object.entries(KIND_LABELS).map(([k, v]) => (
            <option value={k}>{v}</option>
          ))}
        </select>
      </div>
      <div class="row">
        {text('ev-start', 'Starts', 'start', 'datetime-local')}
        {text('ev-end', 'Ends', 'end', 'datetime-local')}
      </div>
      {text('ev-tz', 'Time zone', 'timeZone')}
      <fieldset>
        <legend>Where</legend>
        <div class="check">
          <input id="ev-where-venue" type="radio" name="where" checked={f.where === 'venue'} onChange={() => setF({ ...f, where: 'venue' })} />
          <label for="ev-where-venue">In person</label>
        </div>
        <div class="check">
          <input id="ev-where-online" type="radio" name="where" checked={f.where === 'online'} onChange={() => setF({ ...f, where: 'online' })} />
          <label for="ev-where-online">Online</label>
        </div>
        {f.where === 'venue' ? text('ev-venue', 'Venue', 'venue') : text('ev-url', 'Online link', 'onlineUrl', 'url')}
      </fieldset>
      <div class="row">
        {text('ev-capacity', 'Capacity', 'capacity', 'number')}
        <div class="field">
          <label for="ev-visibility">Who sees it</label>
          <select id="ev-visibility" value={f.visibility} onChange={set('visibility')}>
            <option value="VISIBILITY_MEMBERS">Members</option>
            <option value="VISIBILITY_PUBLIC">Everyone</option>
            <option value="VISIBILITY_UNLISTED">Unlisted (link only)</option>
          </select>
        </div>
      </div>
      <div class="check">
        <input id="ev-waitlist" type="checkbox" checked={f.waitlistEnabled} onChange={set('waitlistEnabled')} />
        <label for="ev-waitlist">Keep a waitlist when full</label>
      </div>
      {!event && (
        <div class="row">
          <div class="field">
            <label for="ev-repeat">Repeats</label>
            <select id="ev-repeat" value={f.repeat} onChange={set('repeat')}>
              <option value="">Does not repeat</option>
              <option value="FREQUENCY_WEEKLY">Weekly</option>
              <option value="FREQUENCY_MONTHLY">Monthly</option>
            </select>
          </div>
          {f.repeat && text('ev-count', 'Occurrences', 'count', 'number')}
        </div>
      )}
      <Alert message={act.error} />
      {saved && <Status>{saved}</Status>}
      <button type="submit" class="primary" disabled={act.busy}>
        {submitLabel}
      </button>
    </form>
  );
}

export function CoordinatorEventNew() {
  useTitle('New event');
  return (
    <section class="narrow">
      <h1>New event</h1>
      <EventForm
        submitLabel="Create event"
        onSubmit={async (d, recurrence) => {
          const r = await events.create(d, recurrence);
          navigate(`/coordinator/events/${r.event.eventId}`);
        }}
      />
    </section>
  );
}

const EDITABLE = ['title', 'description', 'kind', 'startTime', 'endTime', 'timeZone', 'capacity', 'waitlistEnabled', 'visibility'];

function Attendees({ eventId }: { eventId: string }) {
  const { data, error, reload } = useLoad(() => events.attendees(eventId), [eventId]);
  const act = useAction();
  if (error) return <Alert message={error} />;
  if (!data) return <Loading what="attendees" />;
  if (data.attendees.length === 0) return <p>No RSVPs yet.</p>;
  return (
    <>
      {data.namesUnavailable && <p class="muted">Names are unavailable right now; the list is complete.</p>}
      <Alert message={act.error} />
      <ul class="attendees" aria-label="Attendees">
        {data.attendees.map((a, i) => {
          const name = data.displayNames[a.memberId] || `Attendee ${i + 1} (name hidden)`;
          return (
            <li key={a.memberId} class="attendee">
              <span class="who">
                {name}
                <span class="meta">
                  {' '}
                  {a.status === 'RSVP_STATUS_GOING'
                    ? a.checkedIn
                      ? '· checked in'
                      : '· going'
                    : a.status === 'RSVP_STATUS_WAITLISTED'
                      ? `· waitlist #${a.waitlistPosition}`
                      : '· cancelled'}
                </span>
              </span>
              {a.status === 'RSVP_STATUS_GOING' && (
                <button
                  type="button"
                  class={a.checkedIn ? '' : 'primary'}
                  disabled={act.busy}
                  aria-label={a.checkedIn ? `Undo check-in for ${name}` : `Check in ${name}`}
                  onClick={() =>
                    act.run(async () => {
                      await events.checkIn(eventId, a.memberId, a.checkedIn);
                      await reload();
                    })
                  }
                >
                  {a.checkedIn ? 'Undo' : 'Check in'}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

export function CoordinatorEvent({ id }: { id: string }) {
  useTitle('Manage event');
  const ev = useLoad(() => events.get(id), [id]);
  const act = useAction();
  const [confirming, setConfirming] = useState(false);
  if (ev.error) return <Alert message={ev.error} />;
  if (!ev.data) return <Loading what="the event" />;
  const e = ev.data.event;
  const cancelled = e.status === 'EVENT_STATUS_CANCELLED';
  return (
    <section>
      <p>
        <a href="/coordinator">← Coordinate</a>
      </p>
      <h1>{e.title}</h1>
      <p class="meta">
        {formatRange(e.startTime, e.endTime, e.timeZone)} · {e.goingCount} going · {e.waitlistCount} waiting ·{' '}
        <span data-testid="event-status">{cancelled ? 'Cancelled' : 'Scheduled'}</span>
      </p>
      <section aria-labelledby="h-attendees" class="panel">
        <h2 id="h-attendees">Attendees</h2>
        <Attendees eventId={id} />
      </section>
      {!cancelled && (
        <section aria-labelledby="h-edit" class="panel">
          <h2 id="h-edit">Edit</h2>
          <EventForm
            key={e.sequence}
            event={e}
            submitLabel="Save changes"
            onSubmit={async (d) => {
              const paths = [...EDITABLE, d.venue !== undefined ? 'venue' : 'onlineUrl'];
              const r = await events.update(id, d, paths);
              ev.setData({ event: r.event });
            }}
          />
        </section>
      )}
      {!cancelled && (
        <section aria-labelledby="h-cancel" class="panel">
          <h2 id="h-cancel">Cancel this event</h2>
          <p>Everyone who RSVPed is told, and their calendars show it cancelled.</p>
          <Alert message={act.error} />
          {confirming ? (
            <div class="actions">
              <button
                type="button"
                class="danger"
                disabled={act.busy}
                onClick={() =>
                  act.run(async () => {
                    const r = await events.cancel(id);
                    ev.setData({ event: r.event });
                    setConfirming(false);
                  })
                }
              >
                Yes, cancel the event
              </button>
              {e.seriesId && (
                <button
                  type="button"
                  class="danger"
                  disabled={act.busy}
                  onClick={() =>
                    act.run(async () => {
                      await events.cancelSeries(e.seriesId);
                      await ev.reload();
                      setConfirming(false);
                    })
                  }
                >
                  Cancel the whole series
                </button>
              )}
              <button type="button" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </div>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming(true)}>
              Cancel event
            </button>
          )}
        </section>
      )}
    </section>
  );
}

export function CoordinatorRoleNew() {
  useTitle('New volunteer role');
  const [d, setD] = useState<RoleDetails>({
    title: '',
    description: '',
    tags: [],
    venue: '',
    onlineUrl: '',
    eventId: '',
    minSoberDays: 0,
    maxShiftsPerPerson: 0,
    requiresApproval: false,
  });
  const act = useAction();
  const input = (id: string, label: string, k: 'title' | 'venue' | 'onlineUrl' | 'eventId') => (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={d[k]} onInput={(e) => setD({ ...d, [k]: (e.target as HTMLInputElement).value })} />
    </div>
  );
  return (
    <section class="narrow">
      <h1>Post a volunteer role</h1>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!d.title.trim()) return act.setError('Title: enter a title.');
          if (!d.venue.trim() === !d.onlineUrl.trim()) return act.setError('Venue: enter a venue or an online link (one of them).');
          void act.run(async () => {
            const r = await volunteering.postRole({ ...d, title: d.title.trim() });
            navigate(`/coordinator/roles/${r.role.roleId}`);
          });
        }}
      >
        {input('role-title', 'Title', 'title')}
        <div class="field">
          <label for="role-description">Description</label>
          <textarea id="role-description" rows={4} value={d.description} onInput={(e) => setD({ ...d, description: (e.target as HTMLTextAreaElement).value })} />
        </div>
        {input('role-venue', 'Venue', 'venue')}
        {input('role-url', 'Online link (instead of a venue)', 'onlineUrl')}
        <div class="field">
          <label for="role-tags">Tags (comma-separated, from the interest list)</label>
          <input
            id="role-tags"
            value={d.tags.join(', ')}
            onInput={(e) =>
              setD({ ...d, tags: (e.target as HTMLInputElement).value.split(',').map((t) => t.trim()).filter(Boolean) })
            }
          />
        </div>
        <div class="field">
          <label for="role-sober">Sober days needed</label>
          <select id="role-sober" value={String(d.minSoberDays)} onChange={(e) => setD({ ...d, minSoberDays: Number((e.target as HTMLSelectElement).value) })}>
            {[0, 30, 60, 90, 180, 365].map((n) => (
              <option value={String(n)}>{n === 0 ? 'None' : `${n} days`}</option>
            ))}
          </select>
        </div>
        <div class="check">
          <input id="role-approval" type="checkbox" checked={d.requiresApproval} onChange={(e) => setD({ ...d, requiresApproval: (e.target as HTMLInputElement).checked })} />
          <label for="role-approval">I approve each sign-up</label>
        </div>
        <Alert message={act.error} />
        <button type="submit" class="primary" disabled={act.busy}>
          Post role
        </button>
      </form>
    </section>
  );
}

function AddShiftForm({ roleId, onAdded }: { roleId: string; onAdded: () => void }) {
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [slots, setSlots] = useState('3');
  const [tz, setTz] = useState(browserTimeZone());
  const act = useAction();
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!start) return act.setError('Shift starts: choose a date and time.');
        if (!end || new Date(end) <= new Date(start)) return act.setError('Shift ends: must be after the start.');
        const n = Number(slots);
        if (!Number.isInteger(n) || n < 1 || n > 500) return act.setError('Places: enter a number from 1 to 500.');
        void act.run(async () => {
          await volunteering.addShift({ roleId, startTime: fromLocalInput(start), endTime: fromLocalInput(end), timeZone: tz, slots: n });
          onAdded();
        });
      }}
    >
      <div class="row">
        <div class="field">
          <label for="shift-start">Shift starts</label>
          <input id="shift-start" type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="shift-end">Shift ends</label>
          <input id="shift-end" type="datetime-local" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <div class="row">
        <div class="field">
          <label for="shift-slots">Places</label>
          <input id="shift-slots" type="number" min={1} value={slots} onInput={(e) => setSlots((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="shift-tz">Time zone</label>
          <input id="shift-tz" value={tz} onInput={(e) => setTz((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <Alert message={act.error} />
      <button type="submit" class="primary" disabled={act.busy}>
        Add shift
      </button>
    </form>
  );
}

function ShiftVolunteers({ shift }: { shift: Shift }) {
  const { data, error, reload } = useLoad(() => volunteering.volunteers(shift.shiftId), [shift.shiftId]);
  const act = useAction();
  if (error) return <Alert message={error} />;
  if (!data) return <Loading what="volunteers" />;
  if (data.volunteers.length === 0) return <p class="muted">No sign-ups yet.</p>;
  return (
    <>
      <Alert message={act.error} />
      <ul class="attendees">
        {data.volunteers.map((v, i) => {
          const name = v.displayName || `Volunteer ${i + 1} (name hidden)`;
          return (
            <li class="attendee" key={v.signup.memberId}>
              <span class="who">
                {name} <span class="meta">· {signupText(v.signup).replace("You're signed up", 'Confirmed')}</span>
              </span>
              {v.signup.status === 'SIGNUP_STATUS_PENDING_APPROVAL' && (
                <span class="actions">
                  <button
                    type="button"
                    class="primary"
                    aria-label={`Approve ${name}`}
                    disabled={act.busy}
                    onClick={() => act.run(async () => (await volunteering.approveSignup(shift.shiftId, v.signup.memberId), reload()))}
                  >
                    Approve
                  </button>
                  <button
                    type="button"
                    aria-label={`Decline ${name}`}
                    disabled={act.busy}
                    onClick={() => act.run(async () => (await volunteering.declineSignup(shift.shiftId, v.signup.memberId), reload()))}
                  >
                    Decline
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function PendingHours({ roleId }: { roleId: string }) {
  const { data, error, reload } = useLoad(() => volunteering.listHours(roleId), [roleId]);
  const act = useAction();
  if (error) return <Alert message={error} />;
  if (!data) return <Loading what="hours" />;
  if (data.entries.length === 0) return <p class="muted">No hours waiting for review.</p>;
  return (
    <>
      <Alert message={act.error} />
      <ul class="attendees">
        {data.entries.map((h, i) => (
          <li class="attendee" key={`${h.shiftId}/${h.memberId}`}>
            <span class="who">
              Entry {i + 1}: {(h.minutes / 60).toFixed(1)} hours
            </span>
            <span class="actions">
              <button type="button" class="primary" disabled={act.busy} aria-label={`Approve entry ${i + 1}`} onClick={() => act.run(async () => (await volunteering.approveHours(h.shiftId, h.memberId), reload()))}>
                Approve
              </button>
              <button type="button" disabled={act.busy} aria-label={`Reject entry ${i + 1}`} onClick={() => act.run(async () => (await volunteering.rejectHours(h.shiftId, h.memberId), reload()))}>
                Reject
              </button>
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

export function CoordinatorRole({ id }: { id: string }) {
  useTitle('Manage role');
  const role = useLoad(() => volunteering.getRole(id), [id]);
  const act = useAction();
  if (role.error) return <Alert message={role.error} />;
  if (!role.data) return <Loading what="the role" />;
  const r = role.data.role;
  const open = r.status === 'ROLE_STATUS_OPEN';
  return (
    <section>
      <p>
        <a href="/coordinator">← Coordinate</a>
      </p>
      <h1>{r.details.title}</h1>
      <p class="meta">{open ? 'Open for sign-ups' : 'Closed'}</p>
      <section aria-labelledby="h-shifts" class="panel">
        <h2 id="h-shifts">Shifts</h2>
        <Alert message={act.error} />
        {r.shifts.length === 0 && <p class="muted">No shifts yet.</p>}
        {r.shifts.map((s) => (
          <div class="card" key={s.shiftId}>
            <h3 class="card-title">{formatRange(s.startTime, s.endTime, s.timeZone)}</h3>
            <p class="meta">
              {s.confirmedCount}/{s.slots} confirmed · {s.waitlistCount} waiting · {s.pendingCount} to approve
              {s.status === 'SHIFT_STATUS_CANCELLED' && ' · cancelled'}
            </p>
            <ShiftVolunteers shift={s} />
            {s.status !== 'SHIFT_STATUS_CANCELLED' && (
              <button type="button" class="danger" disabled={act.busy} onClick={() => act.run(async () => (await volunteering.cancelShift(s.shiftId), role.reload()))}>
                Cancel shift
              </button>
            )}
          </div>
        ))}
        {open && (
          <>
            <h3>Add a shift</h3>
            <AddShiftForm roleId={id} onAdded={() => void role.reload()} />
          </>
        )}
      </section>
      <section aria-labelledby="h-hours" class="panel">
        <h2 id="h-hours">Hours to review</h2>
        <PendingHours roleId={id} />
      </section>
      {open && (
        <button type="button" class="danger" disabled={act.busy} onClick={() => act.run(async () => (await volunteering.closeRole(id), role.reload()))}>
          Close role to new sign-ups
        </button>
      )}
    </section>
  );
}
