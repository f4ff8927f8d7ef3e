// The depot console in headless Chromium (issue 12, ADR 0024), against the `serve --demo`
// depot that scripts/test-console starts: each role signs in through the form, reads Today in
// English and Kiswahili, opens the other pages its navigation offers, and signs out;
// operations reads the audit log, staff are refused it;
// a wrong password, the setup page; axe-core on every page; the keyboard alone signs in and
// reaches the navigation, and every focused element shows its focus.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  accounts,
  assertFocusShows,
  axe,
  context,
  depot,
  describe as describeFocus,
  focusedInPage,
  headings,
  launch,
  sessionCookie,
  shot,
  signIn,
  signIns,
  tabThrough,
  visit,
} from './browser.mjs';

const TODAY_EN = {
  operations: [
    'Payouts waiting for approval',
    'Orders to assign',
    'Goods waiting for the quality check',
    'Late orders',
    'Low stock',
    'Phones not seen for a week',
  ],
  staff: ['Orders to assign', 'Goods waiting for the quality check', 'Late orders', 'Low stock', 'Phones not seen for a week'],
  mentor: ['Your mentees'],
};
const TODAY_SW = {
  operations: [
    'Malipo yanayosubiri idhini',
    'Oda za kugawa',
    'Bidhaa zinazosubiri ukaguzi wa ubora',
    'Oda zilizochelewa',
    'Bidhaa chache stoo',
    'Simu ambazo hazijaonekana kwa wiki',
  ],
  staff: ['Oda za kugawa', 'Bidhaa zinazosubiri ukaguzi wa ubora', 'Oda zilizochelewa', 'Bidhaa chache stoo', 'Simu ambazo hazijaonekana kwa wiki'],
  mentor: ['Wanafunzi wako'],
};

const path = (page) => new URL(page.url()).pathname;
const lang = (page) => page.locator('html').getAttribute('lang');

/** Wait for the GET of `wanted` a click or `goto` leads to; returns its response. */
function responseTo(page, wanted) {
  return page.waitForResponse((r) => new URL(r.url()).pathname === wanted && r.request().method() === 'GET');
}

describe('the depot console in Chromium', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('has a sign-in for every role from the demo', () => {
    assert.deepEqual(Object.keys(signIns).sort(), ['mentor', 'operations', 'staff']);
    for (const who of ['operations', 'mentor', 'staff']) assert.match(accounts[who] ?? '', /\S/, `no account id for ${who}`);
  });

  it('shows the sign-in page at /, in English, and the setup page is one link away', async () => {
    const ctx = await context(browser);
    try {
      const page = await ctx.newPage();
      const response = await page.goto(`${depot}/`);
      assert.equal(response.status(), 200);
      assert.equal(path(page), '/console/signin', 'nobody signed in: / leads to the sign-in page');
      assert.equal(await lang(page), 'en');
      assert.deepEqual((await headings(page)).h1, ['Sign in']);
      await visit(page, 'signin');

      await page.getByRole('link', { name: 'First time here? Set your password with a setup code.' }).click();
      await page.waitForURL('**/console/setup');
      assert.deepEqual((await headings(page)).h1, ['Set your password']);
      for (const label of ['Setup code', 'Login', 'Password', 'Password again']) {
        assert.ok(await page.getByLabel(label, { exact: true }).isVisible(), `the setup form has a field labelled ${label}`);
      }
      await visit(page, 'setup');
      await page.getByRole('link', { name: 'Sign in', exact: true }).click();
      await page.waitForURL('**/console/signin');
    } finally {
      await ctx.close();
    }
  });

  it('says a wrong password is wrong, keeps the login and signs nobody in', async () => {
    const ctx = await context(browser);
    try {
      const page = await ctx.newPage();
      const response = await signIn(page, 'staff', 'not-the-password-1');
      assert.equal(response.status(), 401);
      assert.equal(path(page), '/console/signin');
      assert.equal((await page.getByRole('alert').innerText()).trim(), 'Wrong login or password.');
      assert.equal(await page.getByLabel('Login', { exact: true }).inputValue(), signIns.staff.login);
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not sent back');
      assert.equal(await sessionCookie(ctx), undefined, 'no session');
      await visit(page, 'signin-wrong-password');
    } finally {
      await ctx.close();
    }
  });

  describe('the checks themselves', () => {
    it('axe-core, as run here, fails a page with an input that lost its label', async () => {
      const ctx = await context(browser);
      try {
        const page = await ctx.newPage();
        await page.goto(`${depot}/console/signin`);
        assert.deepEqual((await axe(page)).violations, [], 'the page as served');
        await page.evaluate(() => document.querySelector('label[for="login"]').remove());
        const found = (await axe(page)).violations.map((v) => `${v.id} ${v.impact}`);
        assert.ok(found.includes('label critical'), `axe found ${found.join(', ') || 'nothing'}`);
        await assert.rejects(visit(page, 'check-unlabelled-input-expected-to-fail'), /label \(critical\) at #login/);
      } finally {
        await ctx.close();
      }
    });

    it('the focus check fails a field whose outline is taken away or blends in', async () => {
      const ctx = await context(browser);
      try {
        const page = await ctx.newPage();
        await page.goto(`${depot}/console/signin`);
        const unfocused = await page.evaluate(() => {
          const cs = getComputedStyle(document.querySelector('#login'));
          return { boxShadow: cs.boxShadow, border: cs.borderColor, background: cs.backgroundColor };
        });
        const login = async () => {
          await page.locator('#password').focus();
          await page.keyboard.press('Shift+Tab');
          return page.evaluate(focusedInPage);
        };
        const shown = await login();
        assert.equal(shown.id, 'login');
        assertFocusShows(shown, null, 'as served');
        await page.evaluate(() => { document.querySelector('#login').style.outline = 'none'; });
        const none = await login();
        assert.throws(() => assertFocusShows(none, unfocused, 'no outline'), /focus draws no outline and changes nothing/);
        await page.evaluate(() => { document.querySelector('#login').style.outline = '3px solid #fff'; });
        const white = await login();
        assert.throws(() => assertFocusShows(white, null, 'white on white'), /stands out only 1\.00:1/);
      } finally {
        await ctx.close();
      }
    });
  });

  for (const role of ['operations', 'staff', 'mentor']) {
    describe(role, () => {
      let ctx;
      let page;
      before(async () => {
        ctx = await context(browser);
        page = await ctx.newPage();
      });
      after(async () => {
        await ctx?.close();
      });

      it('signs in through the form and lands on Today, in English', async () => {
        const response = await signIn(page, role);
        assert.equal(response.status(), 303, 'the form answers with a redirect');
        assert.equal(path(page), '/console/today');
        assert.equal(await lang(page), 'en');
        assert.deepEqual(await headings(page), { h1: ['Today'], h2: TODAY_EN[role] });
        assert.match(await page.locator('header').innerText(), new RegExp(`Signed in as .+ \\(${role}\\)`));
        assert.ok(await sessionCookie(ctx), 'a session cookie');
        await visit(page, `${role}-today-en`);
      });

      it('switches to Kiswahili and back to English', async () => {
        await page.getByRole('link', { name: 'Kiswahili' }).click();
        await page.waitForFunction(() => document.documentElement.lang === 'sw');
        assert.equal(path(page), '/console/today', 'the switch comes back to the same page');
        assert.deepEqual(await headings(page), { h1: ['Leo'], h2: TODAY_SW[role] });
        assert.equal(await page.locator('title').innerText(), 'Leo · Dashibodi ya depo ya Fundi');
        assert.ok(await page.getByRole('button', { name: 'Toka', exact: true }).isVisible(), 'sign-out in Kiswahili');
        await visit(page, `${role}-today-sw`);

        await page.getByRole('link', { name: 'English' }).click();
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        assert.equal(path(page), '/console/today');
        assert.deepEqual(await headings(page), { h1: ['Today'], h2: TODAY_EN[role] });
      });

      if (role === 'operations') {
        it('opens the audit log from the navigation and finds its own sign-in on top', async () => {
          const header = await page.locator('header').innerText();
          const name = header.match(/Signed in as (.+) \(operations\)/)[1];
          const [response] = await Promise.all([
            responseTo(page, '/console/audit'),
            page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click(),
          ]);
          assert.equal(response.status(), 200);
          await page.waitForURL('**/console/audit');
          assert.deepEqual((await headings(page)).h1, ['Audit log']);
          assert.equal(
            await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).getAttribute('aria-current'),
            'page',
          );
          const rows = await page.locator('tbody tr').evaluateAll((trs) =>
            trs.map((tr) => [...tr.cells].map((td) => td.innerText.trim())),
          );
          assert.ok(rows.length > 0, 'the audit log has rows');
          const [, who, what] = rows[0];
          assert.deepEqual([who, what], [name, 'console.sign_in'], 'the newest row is this sign-in');
          // The demo set each console password through a setup code: one row names each account.
          for (const r of ['operations', 'mentor', 'staff']) {
            assert.ok(
              rows.some(([, , action, target]) => action === 'console.setup_code' && target === accounts[r]),
              `a setup code issued for ${r} (${accounts[r]})`,
            );
          }
          await visit(page, 'operations-audit');
          await page.getByRole('navigation').getByRole('link', { name: 'Today' }).click();
          await page.waitForURL('**/console/today');
        });
      } else {
        it('has no audit log in its navigation, and /console/audit answers 403 "not for your role"', async () => {
          assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0);
          const response = await page.goto(`${depot}/console/audit`);
          assert.equal(response.status(), 403);
          assert.equal((await page.getByRole('alert').innerText()).trim(), 'This page is not for your role.');
          await visit(page, `${role}-audit-403`);
          await page.goto(`${depot}/console/today`);
        });
      }

      it("opens every other page of its navigation, each accessible", async () => {
        const links = await page.getByRole('navigation').getByRole('link').evaluateAll((as) =>
          as.map((a) => ({ href: a.getAttribute('href'), text: a.innerText.trim() })),
        );
        const others = links.filter((l) => l.href !== '/console/today' && l.href !== '/console/audit');
        assert.ok(others.length > 0, `${role} has pages besides Today: ${JSON.stringify(links)}`);
        for (const { href, text } of others) {
          const [response] = await Promise.all([
            responseTo(page, href),
            page.getByRole('navigation').getByRole('link', { name: text, exact: true }).click(),
          ]);
          assert.equal(response.status(), 200, `${href}`);
          await page.waitForURL(`**${href}`);
          assert.deepEqual((await headings(page)).h1, [text], `${href}: its heading is its link's`);
          assert.equal(
            await page.getByRole('navigation').getByRole('link', { name: text, exact: true }).getAttribute('aria-current'),
            'page',
          );
          await visit(page, `${role}-${href.split('/').pop()}`);
        }
        await page.goto(`${depot}/console/today`);
      });

      if (role === 'mentor') {
        it('sees her mentees on Today', async () => {
          const names = await page.locator('tbody tr td:first-child').allInnerTexts();
          assert.deepEqual(names.map((n) => n.trim()).sort(), ['Akinyi Otieno', 'Baraka Mwangi']);
        });
      }

      it('signs out with the form, and the session is gone', async () => {
        const cookie = await sessionCookie(ctx);
        assert.ok(cookie, 'signed in before signing out');
        // The cookie alone, in another browser context, opens Today while the session lives...
        const replay = async () => {
          const other = await context(browser);
          try {
            await other.addCookies([{ name: 'fundi_session', value: cookie.value, url: depot }]);
            const p = await other.newPage();
            await p.goto(`${depot}/console/today`);
            return path(p);
          } finally {
            await other.close();
          }
        };
        assert.equal(await replay(), '/console/today', 'the session cookie, replayed while signed in');

        await page.getByRole('button', { name: 'Sign out', exact: true }).click();
        await page.waitForURL('**/console/signin');
        assert.equal(await sessionCookie(ctx), undefined, 'the browser dropped the cookie');
        await page.goto(`${depot}/console/today`);
        assert.equal(path(page), '/console/signin', 'Today leads to sign-in after signing out');
        // ...and not once the session has ended on the depot.
        assert.equal(await replay(), '/console/signin', 'the old session cookie, replayed after signing out');
      });
    });
  }

  describe('keyboard', () => {
    let ctx;
    let page;
    before(async () => {
      ctx = await context(browser);
      page = await ctx.newPage();
    });
    after(async () => {
      await ctx?.close();
    });

    /** Press Tab once; the focused element, checked to show its focus. */
    async function tab(where) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(focusedInPage);
      assert.ok(f, `${where}: Tab focused nothing`);
      assertFocusShows(f, null, where);
      return f;
    }

    it('skip link first, then login, password and the button with Tab alone; Enter signs in', async () => {
      await page.goto(`${depot}/console/signin`);
      const first = await tab('sign-in');
      assert.ok(
        first.className === 'skip' && first.href === '#content',
        `the first Tab reaches the skip link, not ${describeFocus(first)}`,
      );
      const passed = [first];
      let f = first;
      while (f.id !== 'login') {
        assert.ok(passed.length < 4, `the login field within 4 Tabs; went ${passed.map(describeFocus).join(' -> ')}`);
        f = await tab('sign-in');
        passed.push(f);
      }
      await page.keyboard.type(signIns.operations.login);
      f = await tab('sign-in');
      assert.equal(f.id, 'password', `Tab from the login reaches the password, not ${describeFocus(f)}`);
      await page.keyboard.type(signIns.operations.password);
      f = await tab('sign-in');
      assert.ok(f.tag === 'button' && f.type === 'submit' && f.text === 'Sign in', `then the button, not ${describeFocus(f)}`);
      await shot(page, 'keyboard-signin-button-focused');
      await page.keyboard.press('Enter');
      await page.waitForURL('**/console/today');
      assert.deepEqual((await headings(page)).h1, ['Today']);
    });

    it('on Today, Tab reaches the skip link, the navigation and the sign-out button, each showing its focus', async () => {
      await page.goto(`${depot}/console/today`);
      const seen = await tabThrough(page, 'Today', 16);
      const names = seen.map(describeFocus);
      const at = (test, what) => {
        const i = seen.findIndex(test);
        assert.ok(i >= 0, `Tab never reached ${what}; it went ${names.join(' -> ')}`);
        return i;
      };
      assert.equal(at((f) => f.className === 'skip', 'the skip link'), 0, 'the skip link comes first');
      const today = at((f) => f.tag === 'a' && f.href === '/console/today', 'the Today link');
      const audit = at((f) => f.tag === 'a' && f.href === '/console/audit', 'the Audit log link');
      const signOut = at((f) => f.tag === 'button' && f.text === 'Sign out', 'the Sign out button');
      at((f) => f.tag === 'button' && f.text === 'Sign out everywhere', 'the Sign out everywhere button');
      at((f) => f.tag === 'a' && f.text === 'Kiswahili', 'the language switch');
      assert.ok(today < audit && audit < signOut, `the navigation, then sign-out: ${names.join(' -> ')}`);
      // A picture of the ring on the clay header: the audit link focused.
      await page.goto(`${depot}/console/today`);
      for (let i = 0; i <= audit; i += 1) await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '/console/audit');
      await shot(page, 'keyboard-today-audit-link-focused');
    });

    it('the skip link takes the keyboard past the header, to the login field', async () => {
      const fresh = await context(browser);
      try {
        const p = await fresh.newPage();
        await p.goto(`${depot}/console/signin`);
        await p.keyboard.press('Tab');
        await p.keyboard.press('Enter');
        // The jump lands after the key's events are handled: wait for it (it fails if it never comes).
        await p.waitForFunction(() => location.hash === '#content', null, { timeout: 5000 }).catch(() => {});
        assert.equal(new URL(p.url()).hash, '#content');
        await p.keyboard.press('Tab');
        const f = await p.evaluate(focusedInPage);
        assertFocusShows(f, null, 'sign-in, after the skip link');
        assert.equal(f.id, 'login', `after the skip link, Tab reaches the login field, not ${describeFocus(f)}`);
      } finally {
        await fresh.close();
      }
    });
  });
});
