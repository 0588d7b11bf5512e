// The login form posts the CSRF token Spring Security set as cookie EVENTFLOW-XSRF (a page of another site cannot read it).
const token = document.cookie.split('; ').find((pair) => pair.startsWith('EVENTFLOW-XSRF='));
document.querySelector('#login input[name=_csrf]').value = token ? decodeURIComponent(token.split('=')[1]) : '';
const query = new URLSearchParams(window.location.search);
const note = document.querySelector('#login-note');
if (query.has('error')) {
  note.className = 'result error';
  note.textContent = 'Wrong username or password.';
} else if (query.has('logout')) {
  note.textContent = 'Logged out.';
}
