// The artisan's home, "Leo" / "Today": orders waiting for her command and drafts sent back
// with the mentor's note first; then what waits to be synced and what sending it will cost
// (what the depot would send back on request), when she last synced and what that cost, and a
// big "Sync now"; then the other screens (orders, drafts, her products, earnings, stock, ...). A
// sync the depot answers with "unauthorized" (phone revoked, sign-in expired) sends her to
// enroll again, her unsynced changes kept.
package ke.fundi.app

import android.os.Bundle
import android.text.format.DateUtils
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import ke.fundi.app.logic.HomePresenter
import ke.fundi.app.logic.HomeState
import ke.fundi.app.logic.OrderRow

class HomeActivity : SyncingActivity() {


    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_home)
        setTitle(R.string.home_title)
        attachSyncPanel()
        findViewById<Button>(R.id.nav_orders).setOnClickListener { open(OrdersActivity::class.java) }
        findViewById<Button>(R.id.nav_drafts).setOnClickListener { open(DraftListActivity::class.java) }
        findViewById<Button>(R.id.nav_products).setOnClickListener { open(MyProductsActivity::class.java) }
        findViewById<Button>(R.id.nav_stock).setOnClickListener { open(StockActivity::class.java) }
        findViewById<Button>(R.id.nav_earnings).setOnClickListener { open(EarningsActivity::class.java) }
        findViewById<Button>(R.id.nav_conflicts).setOnClickListener { open(ConflictsActivity::class.java) }
        findViewById<Button>(R.id.home_to_settle).setOnClickListener { open(ConflictsActivity::class.java) }
        findViewById<Button>(R.id.nav_settings).setOnClickListener { open(SettingsActivity::class.java) }
        findViewById<Button>(R.id.home_check_cost).setOnClickListener {
            val (language, unmetered) = app.language() to app.unmetered()
            work(work = { HomePresenter(app.drafts(), app.sync(), language, unmetered).toReceive() }, done = { line ->
                findViewById<TextView>(R.id.home_to_receive).showOrHide(text(line))
            })
        }
    }

    override fun reload() {
        val (language, unmetered) = app.language() to app.unmetered()
        work(work = { HomePresenter(app.drafts(), app.sync(), language, unmetered).load() }, done = ::show)
    }

    private fun show(state: HomeState) {
        findViewById<TextView>(R.id.home_message).showOrHide(state.message?.let { text(it) })

        val orders = findViewById<LinearLayout>(R.id.home_orders)
        orders.removeAllViews()
        state.ordersForYou.forEach { orders.addView(orderView(this, orders, it)) }
        findViewById<View>(R.id.home_orders_heading).visibility = if (state.ordersForYou.isEmpty()) View.GONE else View.VISIBLE

        val drafts = findViewById<LinearLayout>(R.id.home_drafts)
        drafts.removeAllViews()
        for (d in state.returnedDrafts) {
            val row = layoutInflater.inflate(R.layout.item_returned_draft, drafts, false)
            row.findViewById<TextView>(R.id.returned_title).text = d.title
            row.findViewById<TextView>(R.id.returned_note).text =
                d.note?.let { getString(R.string.returned_note, it) } ?: getString(R.string.returned_no_note)
            row.setOnClickListener { open(DraftEditorActivity::class.java) { putExtra(DraftEditorActivity.EXTRA_DRAFT_ID, d.id) } }
            drafts.addView(row)
        }
        findViewById<View>(R.id.home_drafts_heading).visibility = if (state.returnedDrafts.isEmpty()) View.GONE else View.VISIBLE
        findViewById<View>(R.id.home_nothing).visibility = if (state.nothingToDo) View.VISIBLE else View.GONE

        val last = state.lastSyncMs
        findViewById<TextView>(R.id.home_last_sync).text = if (last == null) getString(R.string.never_synced)
        else getString(R.string.last_synced, DateUtils.getRelativeTimeSpanString(last, System.currentTimeMillis(), DateUtils.MINUTE_IN_MILLIS))
        findViewById<TextView>(R.id.home_waiting).showOrHide(state.waiting?.let { text(it) })
        findViewById<TextView>(R.id.home_to_send).showOrHide(state.toSend?.let { text(it) })
        findViewById<TextView>(R.id.home_photos_wifi).showOrHide(state.photosWaitForWifi?.let { text(it) })
        findViewById<TextView>(R.id.home_last_tally).showOrHide(state.lastTally?.let { text(it) })
        findViewById<TextView>(R.id.home_to_settle).showOrHide(state.toSettle?.let { text(it) })
        findViewById<TextView>(R.id.home_newer_app).showOrHide(state.needsNewerApp?.let { text(it) })
    }
}

/** One order row (the home screen and the orders list share it); a tap opens its detail. */
fun orderView(activity: FundiActivity, parent: android.view.ViewGroup, row: OrderRow, reuse: View? = null): View {
    val view = reuse ?: activity.layoutInflater.inflate(R.layout.item_order, parent, false)
    view.findViewById<TextView>(R.id.order_product).text = row.product
    view.findViewById<TextView>(R.id.order_details).text =
        activity.getString(R.string.order_details, activity.text(row.quantity), row.price)
    view.findViewById<TextView>(R.id.order_status).text = activity.text(row.status)
    view.findViewById<View>(R.id.order_pending).visibility = if (row.pending) View.VISIBLE else View.GONE
    view.findViewById<TextView>(R.id.order_replenish).showOrHide(row.replenish?.let { activity.text(it) })
    val due = view.findViewById<TextView>(R.id.order_due)
    due.showOrHide(row.due?.let { activity.text(it) })
    due.setTextColor(activity.getColor(if (row.late) R.color.warning else R.color.muted))
    view.setOnClickListener {
        activity.startActivity(
            android.content.Intent(activity, OrderDetailActivity::class.java).putExtra(OrderDetailActivity.EXTRA_ORDER_ID, row.id),
        )
    }
    return view
}
