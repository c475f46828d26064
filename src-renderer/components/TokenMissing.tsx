/** Shown instead of the app when the page was opened without the web host's token. */
export function TokenMissing() {
  return (
    <main className="token-missing">
      <h1>Open Easel from the address it printed</h1>
      <p>
        This page needs the key that Easel's web host gives out when it starts, so that no other page or program on
        this computer can use Easel.
      </p>
      <ol>
        <li>
          Find the terminal where you ran <code>npm run serve</code> (or <code>npm start</code>).
        </li>
        <li>
          Open the whole address it printed, including <code>?token=…</code>, for example{' '}
          <code>http://127.0.0.1:41625/?token=…</code>
        </li>
      </ol>
      <p>If Easel is no longer running, start it again and use the new address: the key changes at every start.</p>
    </main>
  );
}
