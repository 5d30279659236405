// The live inbox: one EventSource on /stream/inbox for the whole app. Pages subscribe to new
// items (an event page refreshes its RSVP when an item about its event arrives, so a waitlist
// promotion shows without a reload).
//
// Reconnecting is ours, not the browser's: an EventSource that gets an HTTP error (503 when
// every stream is taken, 429 when this account has its share open, 401 when the session is
// over) closes for good, and one whose stream ended reconnects on its own timer. So on any
// error the source is closed and reopened after a backoff: 1 s, doubling to 30 s, back to 1 s
// once a message arrives. Before reopening, one unread-count call asks whether the session
// still stands: a 401 there sends the app to sign-in (api.ts) and the stream stays stopped.
//
// A stream sends only what arrives after it started (its first message is the unread count
// alone), so whatever arrived while the page had no stream (before the first one opened, or
// while it was away, refused or backing off) would never come. Each stream's first message is
// therefore told to resync listeners, which read their state again: from then on the stream
// has everything newer.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, notifications } from './api';
import type { InboxItem, StreamInboxResponse } from './types';

type Listener = (item: InboxItem) => void;
const itemListeners = new Set<Listener>();
const countListeners = new Set<(n: number) => void>();
const resyncListeners = new Set<() => void>();
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

let running = false;
let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let retryMs = FIRST_RETRY_MS;
let unread = 0;

function publishCount(n: number): void {
  unread = n;
  countListeners.forEach((l) => l(n));
}

function open(): void {
  retryTimer = null;
  if (!running || source) return;
  const es = new EventSource('/stream/inbox', { withCredentials: true });
  source = es;
  let started = false;
  es.addEventListener('inbox', (e) => {
    retryMs = FIRST_RETRY_MS; // the stream works: a later failure starts its backoff afresh
    let msg: StreamInboxResponse;
    try {
      msg = JSON.parse((e as MessageEvent<string>).data) as StreamInboxResponse;
    } catch {
      return;
    }
    publishCount(msg.unreadCount ?? unread);
    if (!started) {
      started = true;
      resyncListeners.forEach((l) => l());
    }
    if (msg.item) itemListeners.forEach((l) => l(msg.item!));
  });
  es.onerror = () => {
    if (source !== es) return;
    es.close();
    source = null;
    void retryLater();
  };
}

async function retryLater(): Promise<void> {
  if (!running || retryTimer) return;
  const wait = retryMs;
  retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  try {
    // Keeps the badge right while the stream is away, and finds out whether the session is.
    publishCount((await notifications.unreadCount()).unreadCount ?? unread);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      stopInboxStream(); // the app goes to sign-in; signing in starts the stream again
      return;
    }
    // Anything else (busy, offline): try the stream again after the wait.
  }
  if (!running || retryTimer || source) return;
  retryTimer = setTimeout(open, wait);
}

export function startInboxStream(): void {
  if (running) return;
  running = true;
  retryMs = FIRST_RETRY_MS;
  open();
}

export function stopInboxStream(): void {
  running = false;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  source?.close();
  source = null;
}

export function onInboxItem(l: Listener): () => void {
  itemListeners.add(l);
  return () => itemListeners.delete(l);
}

/** Calls `l` each time a stream starts: what arrived while there was none must be read again. */
export function onInboxResync(l: () => void): () => void {
  resyncListeners.add(l);
  return () => resyncListeners.delete(l);
}

export function setUnread(n: number): void {
  publishCount(n);
}

export function useUnreadCount(): number {
  const [n, setN] = useState(unread);
  useEffect(() => {
    countListeners.add(setN);
    return () => {
      countListeners.delete(setN);
    };
  }, []);
  return n;
}
