// Gatehouse portal: small comforts on top of pages that work without JavaScript.

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('submit', () => {
      // One submission at a time: a double click must not post twice.
      for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = true;
    });
  }
  // Submit a one-time code as soon as it is complete.
  const token = document.querySelector('input[autocomplete="one-time-code"]');
  if (token) {
    token.addEventListener('input', () => {
      const digits = token.value.replace(/\D/g, '');
      if (digits !== token.value) token.value = digits;
      if (digits.length === 6 && token.form && !token.form.dataset.sent) {
        token.form.dataset.sent = '1';
        token.form.requestSubmit();
      }
    });
  }
  // Put the cursor on the first field with an error, or the first empty one.
  const invalid = document.querySelector('[aria-describedby="form-message"]');
  if (invalid) invalid.focus();
});
