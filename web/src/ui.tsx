// Small shared pieces: page titles, error boxes, loading state and date formatting.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError } from './api';

/** Sets the tab title; never anything but "Homecoming" and a neutral page name. */
export function useTitle(page: string): void {
  useEffect(() => {
    document.title = page ? `${page} · Homecoming` : 'Homecoming';
  }, [page]);
}

/** Loads data with `load`; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await load());
      setError('');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setLoading(false);
    }
  }, deps); // the caller names what `load` reads
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, setData };
}

/** Runs an action, keeping its error and a busy flag for the button. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = useCallback(async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError('');
    try {
      await f();
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

export function Alert({ message }: { message: string }) {
  if (!message) return null;
  return (
    <p class="alert" role="alert">
      {message}
    </p>
  );
}

export function Status({ children }: { children: ComponentChildren }) {
  return (
    <p class="status" role="status">
      {children}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" aria-live="polite">Loading {what}…</p>;
}

export function formatWhen(iso: string | undefined, timeZone?: string): string {
  if (!iso) return '';
  const opts: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  };
  try {
    return new Intl.DateTimeFormat(undefined, { ...opts, timeZone: timeZone || undefined }).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat(undefined, opts).format(new Date(iso));
  }
}

export function formatRange(start: string, end: string, timeZone?: string): string {
  const s = formatWhen(start, timeZone);
  if (!end) return s;
  let e: string;
  try {
    e = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', timeZone: timeZone || undefined }).format(new Date(end));
  } catch {
    e = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(new Date(end));
  }
  return `${s} – ${e}`;
}

export const KIND_LABELS: Record<string, string> = {
  EVENT_KIND_ALUMNI_MEETING: 'Alumni meeting',
  EVENT_KIND_SOBER_SOCIAL: 'Social',
  EVENT_KIND_PEER_GROUP: 'Peer group',
  EVENT_KIND_WORKSHOP: 'Workshop',
  EVENT_KIND_SERVICE: 'Service',
};

/** A value for <input type="datetime-local"> in the browser's zone. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** RFC 3339 from a datetime-local value (read in the browser's zone); '' when empty. */
export function fromLocalInput(value: string): string {
  return value ? new Date(value).toISOString() : '';
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
