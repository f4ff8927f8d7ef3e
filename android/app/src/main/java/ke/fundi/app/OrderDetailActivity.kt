// One order: what, how many (and, for a replenishment of the depot's stock, that she is paid
// when the pieces sell), the agreed price, its due date (marked when late), status and
// note, what happened to it at the depot, what waits to sync, what the depot refused and why,
// and a button for each command the core offers now (declining asks for the reason first).
// Nothing here decides what is allowed, nor whether the order is late.
package ke.fundi.app

import android.app.AlertDialog
import android.os.Bundle
import android.text.InputType
import android.text.format.DateUtils
import android.view.View
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.OrderAction
import ke.fundi.app.logic.OrderDetailState
import ke.fundi.app.logic.OrdersPresenter

class OrderDetailActivity : FundiActivity() {

    companion object {
        const val EXTRA_ORDER_ID = "ke.fundi.app.ORDER_ID"
    }

    private lateinit var orderId: String
    private var busy = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_order_detail)
        setTitle(R.string.order_title)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        orderId = intent.getStringExtra(EXTRA_ORDER_ID) ?: run { finish(); return }
    }

    override fun onResume() {
        super.onResume()
        val language = app.language()
        val id = orderId
        work(work = { OrdersPresenter(app.sync(), language).detail(id) }, done = ::show)
    }

    private fun issue(action: OrderAction, reason: String?) {
        if (busy) return
        busy = true
        val language = app.language()
        val id = orderId
        work(work = { OrdersPresenter(app.sync(), language).issue(id, action.command, reason) }, done = { busy = false; show(it) })
    }

    private fun ask(action: OrderAction) {
        if (!action.asksReason) return issue(action, null)
        val field = EditText(this)
        field.inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_FLAG_CAP_SENTENCES or InputType.TYPE_TEXT_FLAG_MULTI_LINE
        field.setHint(R.string.hint_reason)
        field.minHeight = resources.getDimensionPixelSize(R.dimen.touch_target)
        AlertDialog.Builder(this)
            .setTitle(text(action.label))
            .setMessage(R.string.reason_prompt)
            .setView(field)
            .setPositiveButton(text(action.label)) { _, _ -> issue(action, field.text.toString()) }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    private fun show(state: OrderDetailState) {
        findViewById<TextView>(R.id.detail_product).text = state.product
        findViewById<TextView>(R.id.detail_status).showOrHide(state.status?.let { text(it) })
        findViewById<TextView>(R.id.detail_replenish).showOrHide(state.replenish?.let { text(it) })
        findViewById<TextView>(R.id.detail_replenish_note).showOrHide(state.replenishNote?.let { text(it) })
        findViewById<TextView>(R.id.detail_quantity).text = state.quantity?.let { text(it) } ?: ""
        findViewById<TextView>(R.id.detail_price).text = state.price
        findViewById<TextView>(R.id.detail_reference).text = state.reference
        findViewById<TextView>(R.id.detail_updated).showOrHide(
            if (state.updatedAtMs <= 0) null
            else getString(R.string.order_updated, DateUtils.getRelativeTimeSpanString(state.updatedAtMs, System.currentTimeMillis(), DateUtils.MINUTE_IN_MILLIS)),
        )
        val due = findViewById<TextView>(R.id.detail_due)
        due.showOrHide(state.due?.let { text(it) })
        due.setTextColor(getColor(if (state.late) R.color.warning else R.color.clay_dark))
        findViewById<View>(R.id.detail_history_label).visibility = if (state.history.isEmpty()) View.GONE else View.VISIBLE
        val history = findViewById<LinearLayout>(R.id.detail_history)
        history.removeAllViews()
        val lines = state.history.map { step ->
            val time = DateUtils.formatDateTime(this, step.atMs, DateUtils.FORMAT_SHOW_DATE or DateUtils.FORMAT_SHOW_TIME or DateUtils.FORMAT_ABBREV_MONTH)
            val line = "$time · ${text(step.label)}"
            if (step.reason == null) line else getString(R.string.order_history_reason, line, step.reason)
        }
        for (line in listOfNotNull(state.historyDropped?.let { text(it) }) + lines) {
            val view = layoutInflater.inflate(R.layout.item_history_line, history, false) as TextView
            view.text = line
            history.addView(view)
        }
        findViewById<TextView>(R.id.detail_note).showOrHide(state.note?.let { getString(R.string.order_note, it) })
        findViewById<TextView>(R.id.detail_pending).showOrHide(
            if (state.pending.isEmpty()) null else getString(R.string.order_pending, state.pending.joinToString(", ") { text(it) }),
        )
        val refusals = findViewById<LinearLayout>(R.id.detail_refusals)
        refusals.removeAllViews()
        for (r in state.refusals) {
            val line = layoutInflater.inflate(R.layout.item_refusal, refusals, false) as TextView
            line.text = text(r)
            refusals.addView(line)
        }
        val message = findViewById<TextView>(R.id.detail_message)
        message.showOrHide(state.message?.let { text(it) })
        state.message?.let { message.announceForAccessibility(text(it)) }
        state.notice?.let { Toast.makeText(this, text(it), Toast.LENGTH_SHORT).show() }

        val actions = findViewById<LinearLayout>(R.id.detail_actions)
        actions.removeAllViews()
        for (a in state.actions) {
            val button = layoutInflater.inflate(R.layout.item_action_button, actions, false) as Button
            button.text = text(a.label)
            button.setOnClickListener { ask(a) }
            actions.addView(button)
        }
    }
}
