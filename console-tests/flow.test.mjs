// The console's work in Chromium end to end (issue 12's browser test): operations import an
// order by pasting a file, see the preview, confirm, and assign it from the order's page;
// operations enroll an artisan and read the code off the printed card (text and QR); staff find
// the order and can give only the commands its state allows. Then a phone (the real core,
// `phone.mjs`) enrolls with the code read off the card, sees the order and gets the goods
// ready through the sync API; staff receive them and fail the quality check with a note and a
// photo file, which the order's history shows (and the artisan's phone holds); she reworks;
// staff pass, ship and deliver, each step in the history. axe-core runs on every page on the
// way (the order's page, the import preview, the card, the check failed, the order delivered).

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { context, depot, launch, signIn, visit } from './browser.mjs';
import { Phone } from './phone.mjs';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Press the button `name` in `scope` (a page or a form) and wait for the order's page it leads back to. */
async function press(page, scope, name, orderPath) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === orderPath),
    scope.getByRole('button', { name, exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
}

describe('an order and an enrollment through the console in Chromium', () => {
  let browser;
  let phone;
  // Read off the printed card in the first test; the order's page, once assigned.
  let cardCode;
  let orderPath;
  before(async () => {
    browser = await launch();
    phone = new Phone();
  });
  after(async () => {
    await browser?.close();
    phone?.remove();
  });

  it('operations import an order with a preview, enroll an artisan with a printed card and assign her the order', async () => {
    const ctx = await context(browser);
    try {
      const page = await ctx.newPage();
      await signIn(page, 'operations');
      // Enroll a new artisan: the card shows the code as text and as a QR code.
      await page.goto(`${depot}/console/people`);
      await page.getByLabel('Name', { exact: true }).fill('Wanjiru Kamau');
      await page.getByLabel('Role', { exact: true }).selectOption('artisan');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Enroll', exact: true }).click()]);
      await visit(page, 'flow-enrollment-card');
      const code = (await page.locator('p.code').innerText()).trim();
      assert.match(code, /^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/, `the card's code: ${code}`);
      assert.equal(await page.locator('.qr svg').count(), 1, 'the code as a QR code');
      cardCode = code;

      // Import: a bad row first (nothing to confirm), then the file fixed.
      await page.goto(`${depot}/console/orders/import`);
      await page.getByLabel('Or paste the file here').fill('source,external_ref,product,quantity,price_minor\nshop,B-1,Banana fibre mat,0,1000\n');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Preview' }).click()]);
      assert.match(await page.locator('main').innerText(), /quantity or price out of range/);
      assert.equal(await page.getByRole('button', { name: /Import these orders/ }).count(), 0, 'no confirm while a row is bad');
      await page.getByLabel('Or paste the file here').fill('source,external_ref,product,quantity,price_minor\nshop,B-1,Banana fibre mat,2,180000\n');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Preview' }).click()]);
      await visit(page, 'flow-import-preview');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: /Import these orders/ }).click()]);
      assert.match(await page.locator('[role=status]').innerText(), /^1 orders imported/);

      // The order's page: assign it to the new artisan, chosen with her load and record.
      await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Banana fibre mat' }).first().click()]);
      await visit(page, 'flow-order');
      const choice = page.getByLabel('Assign to', { exact: true });
      const label = await choice.locator('option', { hasText: 'Wanjiru Kamau' }).innerText();
      assert.match(label, /Wanjiru Kamau \(0 orders in hand/);
      await choice.selectOption({ label });
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Assign to' }).click()]);
      assert.match(await page.locator('dl.facts').innerText(), /assigned[\s\S]*Wanjiru Kamau/);
      assert.ok(new URL(page.url()).pathname.startsWith('/console/orders/'), page.url());
      orderPath = new URL(page.url()).pathname;
    } finally {
      await ctx.close();
    }
  });

  it('staff see the assigned order and are offered only what its state allows', async () => {
    const ctx = await context(browser);
    try {
      const page = await ctx.newPage();
      await signIn(page, 'staff');
      await page.goto(`${depot}/console/orders`);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Banana fibre mat' }).first().click()]);
      await visit(page, 'flow-order-staff');
      // Assigned, not yet made: nothing for the depot to do, and no assignment for staff.
      assert.match(await page.locator('main').innerText(), /Nothing for your role to do on this order now\./);
      assert.equal(await page.getByLabel('Assign to', { exact: true }).count(), 0);
    } finally {
      await ctx.close();
    }
  });

  it('a phone enrolls with the code read off the card, sees the order and gets the goods ready', async () => {
    assert.ok(cardCode && orderPath, 'the card was read and the order assigned in the first test');
    const me = await phone.enroll(depot, cardCode);
    assert.equal(me.role, 'artisan');
    await phone.sync();
    const orders = await phone.orders();
    const mat = orders.find((o) => o.product === 'Banana fibre mat');
    assert.ok(mat, `the order on the phone: ${JSON.stringify(orders)}`);
    assert.equal(`/console/orders/${mat.id}`, orderPath, 'the very order the console assigned');
    assert.deepEqual([mat.status, mat.artisan_id, mat.commands], ['assigned', me.account_id, ['accept', 'decline']]);
    for (const c of ['accept', 'start_production', 'mark_ready']) await phone.command(mat.id, c);
    const sent = await phone.sync();
    assert.deepEqual([sent.pushed, sent.refused, sent.pending, sent.wedged], [3, 0, 0, 0], JSON.stringify(sent));
    const ready = (await phone.orders()).find((o) => o.id === mat.id);
    assert.equal(ready.server_status, 'ready_for_pickup');
  });

  it('staff fail the check with a note and a photo, the artisan reworks, staff pass, ship and deliver', async () => {
    const id = orderPath.split('/').pop();
    const ctx = await context(browser);
    try {
      const page = await ctx.newPage();
      await signIn(page, 'staff');
      await page.goto(`${depot}${orderPath}`);
      await press(page, page, 'Receive the goods', orderPath);
      // Received: the check's two forms, each with a camera input.
      await visit(page, 'flow-check-forms');
      assert.equal(await page.locator('form[enctype="multipart/form-data"] input[type=file]').count(), 2, 'pass and fail');

      // The check failed, with a note and a photo of the goods set on the form's file input.
      const failing = page.locator('form', { has: page.getByRole('button', { name: 'Fail the quality check' }) });
      const input = failing.getByLabel('Photo of the goods (if you take one)');
      assert.deepEqual([await input.getAttribute('accept'), await input.getAttribute('capture')], ['image/*', 'environment']);
      await failing.getByLabel('Reason').fill('Two strands loose at the rim');
      await input.setInputFiles(path.join(fixtures, 'loose-strand.png'));
      await press(page, failing, 'Fail the quality check', orderPath);
      await visit(page, 'flow-check-failed');
      assert.match(await page.locator('dl.facts').innerText(), /failed the quality check[\s\S]*Two strands loose at the rim/);

      // The history shows the photo: its thumbnail loads, and links to the whole photo, which loads too.
      const thumbnail = page.locator('table a.check-photo img');
      assert.equal(await thumbnail.count(), 1);
      assert.match(await thumbnail.getAttribute('alt'), /^Photo taken at the quality check, /);
      const [thumbWidth, thumbHeight] = await thumbnail.evaluate((img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]));
      assert.ok(thumbWidth > 0, `the thumbnail loads (naturalWidth ${thumbWidth})`);
      assert.deepEqual([thumbWidth, thumbHeight], [320, 240], 'the thumbnail of a 320x240 photo is the photo itself');
      const href = await page.locator('table a.check-photo').getAttribute('href');
      const photo = href.split('/').pop();
      assert.match(photo, /^[0-9a-f]{64}$/);
      const [whole] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === href),
        page.locator('table a.check-photo').click(),
      ]);
      assert.deepEqual([whole.status(), whole.headers()['content-type']], [200, 'image/jpeg']);
      await page.waitForLoadState('load');
      const wholeWidth = await page.locator('img').first().evaluate((img) => img.decode().then(() => img.naturalWidth));
      assert.equal(wholeWidth, 320, 'the whole photo loads');
      await page.goBack();
      await page.waitForLoadState('load');

      // Her phone: the failed check with its note and the same photo; she reworks and brings the goods again.
      await phone.sync();
      const failed = (await phone.orders()).find((o) => o.id === id);
      assert.deepEqual([failed.status, failed.note, failed.commands], ['qc_failed', 'Two strands loose at the rim', ['rework']]);
      const last = failed.history.at(-1);
      assert.deepEqual([last.command, last.reason, last.photo], ['qc_fail', 'Two strands loose at the rim', photo]);
      for (const c of ['rework', 'mark_ready']) await phone.command(id, c);
      const sent = await phone.sync();
      assert.deepEqual([sent.pushed, sent.refused, sent.wedged], [2, 0, 0], JSON.stringify(sent));

      // Staff receive the goods again, pass the check, ship and deliver: every step in the history, newest first.
      await page.goto(`${depot}${orderPath}`);
      for (const step of ['Receive the goods', 'Pass the quality check', 'Ship', 'Mark delivered']) {
        await press(page, page, step, orderPath);
      }
      await visit(page, 'flow-delivered');
      const steps = await page.locator('table tbody tr td:nth-child(2)').allInnerTexts();
      assert.deepEqual(steps.map((t) => t.trim()).reverse(), [
        'new, to assign',
        'assigned',
        'accepted',
        'in production',
        'ready for the depot',
        'received at the depot',
        'failed the quality check',
        'in production',
        'ready for the depot',
        'received at the depot',
        'passed the quality check',
        'shipped',
        'delivered',
      ]);
      assert.equal(await page.locator('table a.check-photo img').count(), 1, 'the failed check\'s photo, still there');
      assert.match(await page.locator('main').innerText(), /Nothing for your role to do on this order now\./);
      await phone.sync();
      assert.equal((await phone.orders()).find((o) => o.id === id).status, 'delivered');
    } finally {
      await ctx.close();
    }
  });
});
