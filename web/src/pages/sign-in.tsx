import { useEffect, useState } from 'preact/hooks';
import { ApiError, devSignInAvailable, requestEmailLink } from '../api';
import { Alert, Status, useTitle } from '../ui';

export function SignInPage() {
  useTitle('Sign in');
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [dev, setDev] = useState(false);
  useEffect(() => {
    void devSignInAvailable().then(setDev);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) {
      setError('Email: enter an address like name@example.com.');
      return;
    }
    setBusy(true);
    try {
      setSent(await requestEmailLink(email.trim()));
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        setError('Too many sign-in requests. Please wait a few minutes and try again.');
      } else if (err instanceof ApiError && err.code === 'invalid_argument') {
        setError(`Email: ${err.message}`);
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1>Sign in</h1>
      {sent ? (
        <Status>
          <strong>Check your email.</strong> {sent} The link works once, for 15 minutes.
        </Status>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>We email you a link that signs you in — no password to remember.</p>
          <div class="field">
            <label for="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="email"
              inputMode="email"
              required
              value={email}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'email-error' : undefined}
              onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            />
          </div>
          <div id="email-error">
            <Alert message={error} />
          </div>
          <button type="submit" class="primary" disabled={busy}>
            Email me a sign-in link
          </button>
        </form>
      )}
      {dev && (
        <p class="dev">
          Local run: <a href="/auth/dev">sign in as a demo member</a>
        </p>
      )}
    </section>
  );
}
