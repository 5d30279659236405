// The live inbox: one EventSource on /stream/inbox for the whole app. Pages subscribe to new
// items (an event page refreshes its RSVP when an item about its event arrives, so a waitlist
// promotion shows without a reload). EventSource reconnects by itself when the edge ends the
// stream at the session token's expiry.
import { useEffect, useState } from 'preact/hooks';
import type { InboxItem, StreamInboxResponse } from './types';

type Listener = (item: InboxItem) => void;
const itemListeners = new Set<Listener>();
const countListeners = new Set<(n: number) => void>();
let source: EventSource | null = null;
let unread = 0;

export function startInboxStream(): void {
  if (source) return;
  source = new EventSource('/stream/inbox', { withCredentials: true });
  source.addEventListener('inbox', (e) => {
    let msg: StreamInboxResponse;
    try {
      msg = JSON.parse((e as MessageEvent<string>).data) as StreamInboxResponse;
    } catch {
      return;
    }
    unread = msg.unreadCount ?? unread;
    countListeners.forEach((l) => l(unread));
    if (msg.item) itemListeners.forEach((l) => l(msg.item!));
  });
}

export function stopInboxStream(): void {
  source?.close();
  source = null;
}

export function onInboxItem(l: Listener): () => void {
  itemListeners.add(l);
  return () => itemListeners.delete(l);
}

export function setUnread(n: number): void {
  unread = n;
  countListeners.forEach((l) => l(n));
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
