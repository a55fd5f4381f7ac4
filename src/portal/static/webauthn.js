// Gatehouse portal: the WebAuthn step of a form (security keys and passkeys). Everything else
// is a plain form post; this script only runs the browser's ceremony, puts its answer in the
// form's `credential` field and submits the form. The ceremony's options come from the JSON API.
// Uses @simplewebauthn/browser's bundle (served as /static/simplewebauthn.js, loaded first).

// The path Gatehouse is served under (server.path: '' or '/auth'), told by the page (layout's data-base).
const base = document.documentElement.dataset.base || '';

const optionsRequest = {
  register: (form) => ({
    url: `${base}/api/secondfactor/webauthn/credential/register`,
    init: { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ description: form.elements.description.value }) },
  }),
  'second-factor': () => ({ url: `${base}/api/secondfactor/webauthn`, init: { method: 'GET' } }),
  passkey: () => ({ url: `${base}/api/firstfactor/passkey`, init: { method: 'GET' } }),
};

/** What to tell the user when the browser's ceremony fails. */
function ceremonyMessage(error) {
  switch (error?.name) {
    case 'NotAllowedError':
      return 'The request was cancelled or timed out. Try again.';
    case 'InvalidStateError':
      return 'This security key is already registered.';
    case 'SecurityError':
      return 'This browser refused the request for this site.';
    default:
      return error?.message || 'Something went wrong. Try again.';
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const lib = window.SimpleWebAuthnBrowser;
  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    const kind = form.dataset.webauthn;
    const status = form.querySelector('[data-status]');
    const buttons = form.querySelectorAll('button[type="submit"]');
    const say = (text) => {
      if (status) status.textContent = text;
    };
    if (!lib?.browserSupportsWebAuthn()) {
      say('This browser does not support security keys or passkeys.');
      for (const button of buttons) button.disabled = true;
      continue;
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (form.dataset.busy) return;
      form.dataset.busy = '1';
      say('Follow your browser’s prompt…');
      try {
        const { url, init } = optionsRequest[kind](form);
        const answer = await fetch(url, { ...init, credentials: 'same-origin', headers: { accept: 'application/json', ...(init.headers || {}) } });
        const json = await answer.json().catch(() => ({}));
        if (!answer.ok || json.status !== 'OK') throw new Error(json.message || `The server answered ${answer.status}.`);
        const optionsJSON = json.data.publicKey;
        const credential = kind === 'register' ? await lib.startRegistration({ optionsJSON }) : await lib.startAuthentication({ optionsJSON });
        form.elements.credential.value = JSON.stringify(credential);
        // The login page's "Remember me" box belongs to the password form: carry its choice.
        const remember = document.querySelector('input[type="checkbox"][name="keepMeLoggedIn"]');
        if (form.elements.keepMeLoggedIn && remember) form.elements.keepMeLoggedIn.value = remember.checked ? 'true' : '';
        say('Checking…');
        form.submit();
      } catch (error) {
        say(ceremonyMessage(error));
        for (const button of buttons) button.disabled = false;
        delete form.dataset.busy;
      }
    });
  }
});
