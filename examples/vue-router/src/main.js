// A Vue Router app guarded by sessionguard: every route change asks
// sessionguard.check in router.beforeEach, so nothing is shown that the
// server would refuse. The server guards every page load and API call on
// its own; this shapes what the page does.
//
// sessionguard's Content-Security-Policy allows no inline script and no
// eval, so the app uses Vue's runtime build with render functions (h)
// rather than templates compiled in the page, and build.mjs points the
// router's `import "vue"` at the vendored file (no import map).
import { createApp, h, ref } from '/vendor/vue.js';
import { createRouter, createWebHistory, RouterLink, RouterView } from '/vendor/vue-router.js';

const session = ref(null);
const notice = ref('');

const Home = {
  setup() {
    const email = ref('');
    const password = ref('');
    const error = ref('');
    const signIn = async (ev) => {
      ev.preventDefault();
      const redirectUrl = router.currentRoute.value.query.callbackUrl || '/dashboard';
      const r = await sessionguard.signIn({ email: email.value, password: password.value, redirectUrl });
      error.value = r.ok ? '' : r.error;
    };
    const input = (id, type, model, autocomplete) =>
      h('input', { id, type, placeholder: id, autocomplete, value: model.value, onInput: (e) => (model.value = e.target.value) });
    return () => [
      h('h1', 'Home'),
      session.value
        ? h('p', ['Signed in as ', h('b', { id: 'who' }, session.value.user.name), '.'])
        : h('form', { id: 'signin', onSubmit: signIn }, [
            input('email', 'email', email, 'username'),
            input('password', 'password', password, 'current-password'),
            h('button', { id: 'signin-submit' }, 'Sign in'),
            error.value ? h('p', { id: 'signin-error' }, error.value) : null,
          ]),
    ];
  },
};
const page = (id, title, text) => ({ render: () => [h('h1', { id }, title), h('p', text())] });
const Public = page('public-view', 'Public', () => 'Everybody may see this.');
const Dashboard = page('dashboard-view', 'Dashboard', () => `Hello ${session.value ? session.value.user.name : ''}.`);
const Admin = page('admin-view', 'Admin', () => 'For administrators.');

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: Home },
    { path: '/public', component: Public },
    { path: '/dashboard', component: Dashboard },
    { path: '/admin', component: Admin },
  ],
});

// The guard: allowed routes go on; a visitor who is not signed in goes to
// the sign-in route with the callback; anything else stays where it is.
router.beforeEach(async (to) => {
  const v = await sessionguard.check(to.fullPath);
  if (v.allow) {
    if (!to.redirectedFrom) notice.value = ''; // keep why we were sent here
    return true;
  }
  notice.value =
    v.reason === 'forbidden' ? `${to.fullPath} needs another role.`
    : v.reason === 'unauthenticated' ? 'Please sign in first.'
    : 'Could not check; try again.';
  return v.redirect || false;
});

const App = {
  setup() {
    sessionguard.ready.then((s) => (session.value = s));
    sessionguard.onChange((s) => (session.value = s));
    const link = (id, to, text) => h(RouterLink, { id, to }, () => text);
    return () => [
      h('nav', [
        link('nav-home', '/', 'Home'),
        link('nav-public', '/public', 'Public'),
        link('nav-dashboard', '/dashboard', 'Dashboard'),
        link('nav-admin', '/admin', 'Admin'),
        session.value ? h('button', { id: 'signout', onClick: () => sessionguard.signOut({ redirectUrl: '/' }) }, 'Sign out') : null,
      ]),
      notice.value ? h('p', { id: 'notice', class: 'notice' }, notice.value) : null,
      h(RouterView),
    ];
  },
};

createApp(App).use(router).mount('#app');
