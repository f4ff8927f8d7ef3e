// What the console's browser tests share: the depot under test (from scripts/test-console),
// headless Chromium through playwright-core, axe-core run inside each page, a screenshot of
// every page visited, and the keyboard-focus checks.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** A setting scripts/test-console exports; a missing one fails the run, it never skips it. */
function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the console tests with scripts/test-console`);
  return value;
}

// The two npm packages live in .tools/console-test/ (installed from console-tests/package-lock.json).
const require = createRequire(path.join(setting('CONSOLE_TEST_MODULES'), 'package.json'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The depot's address, e.g. https://127.0.0.1:40123 */
export const depot = setting('CONSOLE_URL').replace(/\/$/, '');

/** "role=value role=value ..." as a map. */
function pairs(text) {
  return Object.fromEntries(text.trim().split(/\s+/).map((p) => {
    const at = p.indexOf('=');
    return [p.slice(0, at), p.slice(at + 1)];
  }));
}

/** The demo's console sign-ins: role -> { login, password }. */
export const signIns = Object.fromEntries(
  Object.entries(pairs(setting('CONSOLE_SIGNINS'))).map(([login, password]) => [login, { login, password }]),
);
/** The demo's accounts: who ("operations", "mentor", "staff", "artisan_Akinyi", ...) -> account id. */
export const accounts = pairs(setting('CONSOLE_ACCOUNTS'));

const shots = setting('CONSOLE_SHOTS');
mkdirSync(shots, { recursive: true });

/** Launch the system Chromium, headless. Playwright gives it a fresh profile directory of its own. */
export async function launch() {
  return chromium.launch({
    executablePath: setting('CONSOLE_CHROMIUM'),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/** A new browser context (its own cookie jar) that accepts the depot's self-signed certificate. */
export async function context(browser) {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    viewport: { width: 1100, height: 800 },
  });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

let shotNumber = 0;

/** The impacts that fail a page. */
const FAILING = new Set(['serious', 'critical']);

/** Keep a screenshot of the whole page as it is now, numbered in the order taken. */
export async function shot(page, label) {
  shotNumber += 1;
  const file = path.join(shots, `${String(shotNumber).padStart(2, '0')}-${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

/** Run axe-core's rules in the page now shown: its version, and each violation's rule, impact and targets. */
export async function axe(page) {
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy (no script)
  // does not stop it; nothing is added to the page's markup.
  await page.evaluate(axeSource);
  return page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }).then((r) => ({
      version: window.axe.version,
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })),
    })),
  );
}

/**
 * Check the page now shown and keep its screenshot as `label`: no script in it (the console is
 * script-free), then axe-core's rules, failing on any serious or critical violation (printed
 * with its rule id and targets). Lesser findings are printed, not failed.
 */
export async function visit(page, label) {
  await page.waitForLoadState('load');
  await shot(page, label);
  const scripts = await page.locator('script').count();
  assert.equal(scripts, 0, `${label}: the console's pages carry no script, found ${scripts}`);
  const result = await axe(page);
  assert.ok(result.passes > 0, `${label}: axe-core passed no rule at all: did it run?`);
  const failing = result.violations.filter((v) => FAILING.has(v.impact));
  console.log(`axe [${label}]: ${result.passes} rules passed, ${result.violations.length} violated`);
  for (const v of result.violations) {
    const mark = FAILING.has(v.impact) ? 'FAIL' : 'note';
    console.log(`axe ${mark} [${label}] ${v.impact} ${v.id}: ${v.help} at ${v.targets.join(', ')}`);
  }
  assert.deepEqual(
    failing.map((v) => `${v.id} (${v.impact}) at ${v.targets.join(', ')}`),
    [],
    `${label}: axe-core ${result.version} found serious or critical violations`,
  );
  return result;
}

/** Sign in through the form on the sign-in page; returns the response to the form's POST. */
export async function signIn(page, role, password = signIns[role].password) {
  await page.goto(`${depot}/console/signin`);
  await page.getByLabel('Login', { exact: true }).fill(signIns[role].login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/console/signin') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

/** The page's h1 and h2 texts, the h2s without their counts ("Late orders (1)" -> "Late orders"). */
export async function headings(page) {
  const h1 = (await page.locator('h1').allInnerTexts()).map((t) => t.trim());
  const h2 = (await page.locator('h2').allInnerTexts()).map((t) => t.replace(/\s*\(\d+\)\s*$/, '').trim());
  return { h1, h2 };
}

/** The session cookie the context holds, if any. */
export async function sessionCookie(ctx) {
  return (await ctx.cookies(depot)).find((c) => c.name === 'fundi_session' && c.value !== '');
}

// ---- Keyboard focus

/** sRGB relative luminance of "rgb(r, g, b)" / "rgba(r, g, b, a)". */
function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function parseColor(text) {
  const m = text.match(/rgba?\(([^)]+)\)/);
  if (!m) throw new Error(`a colour this test cannot read: ${text}`);
  const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return [r, g, b, a];
}

export function contrast(a, b) {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

/**
 * Runs in the page: a description of the focused element, its focus style, and the colours
 * under its outline, the colours the ring replaces: at the middle of the ring on each side,
 * what lies there apart from the element itself (an outline drawn inside the element, with a
 * negative offset, lies over the element's own background), up to the first ancestor that
 * paints a background.
 */
export function focusedInPage() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const width = parseFloat(cs.outlineWidth) || 0;
  // How far outside the border box the middle of the ring lies (negative: inside it).
  const ring = (parseFloat(cs.outlineOffset) || 0) + width / 2;
  const background = (node) => {
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (!/rgba\(.*,\s*0\)$/.test(bg) && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const points = [
    [rect.left + rect.width / 2, rect.top - ring],
    [rect.left + rect.width / 2, rect.bottom + ring],
    [rect.left - ring, rect.top + rect.height / 2],
    [rect.right + ring, rect.top + rect.height / 2],
  ].filter(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight);
  const around = points.map(([x, y]) => {
    if (ring < 0) return background(el);
    const under = document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
    return background(under || document.documentElement);
  });
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.getAttribute('type'),
    text: (el.innerText || el.value || '').trim().slice(0, 40),
    href: el.getAttribute('href'),
    className: el.className,
    focusVisible: el.matches(':focus-visible'),
    visible: rect.width > 0 && rect.height > 0 && rect.right > 0 && rect.bottom > 0,
    outline: { style: cs.outlineStyle, width, color: cs.outlineColor },
    boxShadow: cs.boxShadow,
    border: cs.borderColor,
    background: cs.backgroundColor,
    around,
  };
}

/** A short name for a focused element, for messages. */
export function describe(f) {
  if (!f) return '(nothing)';
  return `<${f.tag}${f.id ? `#${f.id}` : ''}${f.type ? ` type=${f.type}` : ''}${f.href ? ` href=${f.href}` : ''}> "${f.text}"`;
}

/**
 * Assert that the focused element shows it: it matches :focus-visible, is on screen, and
 * draws an outline at least 2 px wide whose colour stands out 3:1 from every colour it covers
 * (WCAG 2.2's focus appearance), or else changes its box (shadow, border or background) from
 * `unfocused`, the same element's style before it had focus.
 */
export function assertFocusShows(f, unfocused, where) {
  const name = `${where}: ${describe(f)}`;
  assert.ok(f.focusVisible, `${name} is focused by the keyboard yet does not match :focus-visible`);
  assert.ok(f.visible, `${name} has focus but is not on screen`);
  if (f.outline.style !== 'none' && f.outline.width > 0) {
    assert.ok(f.outline.width >= 2, `${name}: its focus outline is only ${f.outline.width}px wide`);
    assert.ok(f.around.length > 0, `${name}: nothing around it to compare its outline with`);
    const ring = parseColor(f.outline.color);
    for (const bg of f.around) {
      const ratio = contrast(ring, parseColor(bg));
      assert.ok(
        ratio >= 3,
        `${name}: its focus outline ${f.outline.color} stands out only ${ratio.toFixed(2)}:1 from ${bg} under it (3:1 needed)`,
      );
    }
    return;
  }
  assert.ok(unfocused, `${name}: no outline, and no unfocused style to compare with`);
  const changed = ['boxShadow', 'border', 'background'].filter((k) => f[k] !== unfocused[k]);
  assert.ok(changed.length > 0, `${name}: focus draws no outline and changes nothing in its box`);
}

/**
 * Press Tab from the top of the page up to `limit` times; after each press, the focused
 * element (checked to show its focus). Returns the descriptions in order.
 */
export async function tabThrough(page, where, limit) {
  // Each focusable element's look before anything has focus, to compare with its focused look.
  const before = await page.evaluate(() =>
    [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')].map((el) => {
      const cs = getComputedStyle(el);
      return { boxShadow: cs.boxShadow, border: cs.borderColor, background: cs.backgroundColor };
    }),
  );
  const indexOf = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')].indexOf(document.activeElement),
    );
  const seen = [];
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(focusedInPage);
    if (!f) break;
    assertFocusShows(f, before[await indexOf()], where);
    seen.push(f);
  }
  return seen;
}
