// The console's work in Chromium end to end (issue 12's browser test): operations import an
// order by pasting a file, see the preview, confirm, and assign it from the order's page;
// operations enroll an artisan and read the code off the printed card (text and QR); staff find
// the order and can give only the commands its state allows. axe-core runs on every page on
// the way (the order's page, the import preview, the card).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, depot, launch, signIn, visit } from './browser.mjs';

describe('an order and an enrollment through the console in Chromium', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
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
});
