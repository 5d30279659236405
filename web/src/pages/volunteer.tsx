// Volunteering for alumni: open roles, one role's shifts (sign up / withdraw), my sign-ups and hours.
import { useState } from 'preact/hooks';
import { volunteering } from '../api';
import type { MySignup, Role, Signup } from '../types';
import { Alert, Loading, Status, formatRange, useAction, useLoad, useTitle } from '../ui';

export function signupText(s: Signup | undefined): string {
  switch (s?.status) {
    case 'SIGNUP_STATUS_CONFIRMED':
      return "You're signed up";
    case 'SIGNUP_STATUS_WAITLISTED':
      return `On the waitlist: number ${s.waitlistPosition} in line`;
    case 'SIGNUP_STATUS_PENDING_APPROVAL':
      return 'Waiting for a coordinator to approve';
    case 'SIGNUP_STATUS_DECLINED':
      return 'Not approved this time';
    case 'SIGNUP_STATUS_WITHDRAWN':
      return 'You withdrew';
    case 'SIGNUP_STATUS_SHIFT_CANCELLED':
      return 'This shift was cancelled';
    default:
      return '';
  }
}

const ACTIVE = new Set(['SIGNUP_STATUS_CONFIRMED', 'SIGNUP_STATUS_WAITLISTED', 'SIGNUP_STATUS_PENDING_APPROVAL']);

export function VolunteerPage() {
  useTitle('Volunteer');
  const { data, error, loading } = useLoad(() => volunteering.listRoles(), []);
  return (
    <section>
      <h1>Volunteer</h1>
      <p>Give a few hours: roles coordinators posted, with their upcoming shifts.</p>
      <Alert message={error} />
      {loading && !data ? (
        <Loading what="roles" />
      ) : !data || data.roles.length === 0 ? (
        <p>No open roles right now.</p>
      ) : (
        <ul class="cards">
          {data.roles.map((r: Role) => (
            <li class="card" key={r.roleId}>
              <h2 class="card-title">
                <a href={`/volunteer/roles/${r.roleId}`}>{r.details.title}</a>
              </h2>
              <p class="meta">
                {r.details.onlineUrl ? 'Online' : r.details.venue} · {r.shifts.length}{' '}
                {r.shifts.length === 1 ? 'shift' : 'shifts'}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function RolePage({ id }: { id: string }) {
  useTitle('Volunteer role');
  const role = useLoad(() => volunteering.getRole(id), [id]);
  const mine = useLoad(() => volunteering.mySignups(), []);
  const act = useAction();
  if (role.error) return <Alert message={role.error} />;
  if (!role.data) return <Loading what="the role" />;
  const r = role.data.role;
  const byShift = new Map<string, Signup>();
  for (const s of mine.data?.signups ?? []) byShift.set(s.signup.shiftId, s.signup);
  const open = r.status === 'ROLE_STATUS_OPEN';
  return (
    <article>
      <p>
        <a href="/volunteer">← All roles</a>
      </p>
      <h1>{r.details.title}</h1>
      {!open && <p class="alert-inline">This role is closed to new sign-ups.</p>}
      {r.details.description && <p class="description">{r.details.description}</p>}
      <p class="meta">
        {r.details.onlineUrl ? 'Online' : r.details.venue}
        {r.details.requiresApproval && ' · a coordinator approves each sign-up'}
      </p>
      <h2>Shifts</h2>
      <Alert message={act.error} />
      {r.shifts.length === 0 ? (
        <p>No upcoming shifts.</p>
      ) : (
        <ul class="cards">
          {r.shifts.map((s) => {
            const mineHere = byShift.get(s.shiftId);
            const active = mineHere && ACTIVE.has(mineHere.status);
            const cancelled = s.status === 'SHIFT_STATUS_CANCELLED';
            return (
              <li class="card" key={s.shiftId}>
                <p class="card-title">{formatRange(s.startTime, s.endTime, s.timeZone)}</p>
                <p class="meta">
                  {cancelled ? 'Cancelled' : s.slotsLeft > 0 ? `${s.slotsLeft} of ${s.slots} places left` : 'Full — waitlist'}
                </p>
                <p class="meta" aria-live="polite">
                  {signupText(mineHere)}
                </p>
                {!cancelled && (
                  <div class="actions">
                    {active ? (
                      <button
                        type="button"
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            await volunteering.withdraw(s.shiftId);
                            await Promise.all([role.reload(), mine.reload()]);
                          })
                        }
                      >
                        Withdraw
                      </button>
                    ) : (
                      open && (
                        <button
                          type="button"
                          class="primary"
                          disabled={act.busy}
                          onClick={() =>
                            act.run(async () => {
                              await volunteering.signUp(s.shiftId);
                              await Promise.all([role.reload(), mine.reload()]);
                            })
                          }
                        >
                          Sign up
                        </button>
                      )
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </article>
  );
}

function LogHoursForm({ s, onDone }: { s: MySignup; onDone: () => void }) {
  const [minutes, setMinutes] = useState('');
  const act = useAction();
  const [saved, setSaved] = useState('');
  const fieldId = `hours-${s.signup.shiftId}`;
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved('');
        const n = Number(minutes);
        if (!Number.isInteger(n) || n < 1) {
          act.setError('Minutes: enter a whole number of minutes, 1 or more.');
          return;
        }
        void act.run(async () => {
          await volunteering.logHours(s.signup.shiftId, n);
          setSaved('Hours logged; a coordinator will review them.');
          onDone();
        });
      }}
    >
      <div class="field">
        <label for={fieldId}>Minutes you gave</label>
        <input id={fieldId} type="number" min={1} inputMode="numeric" value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" disabled={act.busy}>
        Log hours
      </button>
      <Alert message={act.error} />
      {saved && <Status>{saved}</Status>}
    </form>
  );
}

export function MyVolunteeringPage() {
  useTitle('My volunteering');
  const signups = useLoad(() => volunteering.mySignups(), []);
  const summary = useLoad(() => volunteering.summary(), []);
  const now = Date.now();
  return (
    <section>
      <h1>My volunteering</h1>
      <Alert message={summary.error} />
      {summary.data && (
        <p class="summary">
          Approved: <strong>{(summary.data.approvedMinutes / 60).toFixed(1)} hours</strong> over {summary.data.shifts}{' '}
          {summary.data.shifts === 1 ? 'shift' : 'shifts'}.
        </p>
      )}
      <h2>My sign-ups</h2>
      <Alert message={signups.error} />
      {signups.loading && !signups.data ? (
        <Loading what="your sign-ups" />
      ) : !signups.data || signups.data.signups.length === 0 ? (
        <p>
          No sign-ups yet. <a href="/volunteer">See open roles</a>.
        </p>
      ) : (
        <ul class="cards">
          {signups.data.signups.map((s) => {
            const ended = new Date(s.shift.endTime).getTime() < now;
            return (
              <li class="card" key={s.signup.shiftId}>
                <h3 class="card-title">
                  <a href={`/volunteer/roles/${s.shift.roleId}`}>{s.roleTitle}</a>
                </h3>
                <p class="meta">{formatRange(s.shift.startTime, s.shift.endTime, s.shift.timeZone)}</p>
                <p class="meta">{signupText(s.signup)}</p>
                {ended && s.signup.status === 'SIGNUP_STATUS_CONFIRMED' && (
                  <LogHoursForm s={s} onDone={() => void summary.reload()} />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
