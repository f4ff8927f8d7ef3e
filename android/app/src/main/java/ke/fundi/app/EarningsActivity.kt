// Her earnings: the balance and what she has earned so far at the top, then each entry (an
// order earned, a refund with its reason, a payout), newest first, each with where its money is
// (not paid yet, on its way, paid with the M-Pesa receipt, not paid and why). Read-only: the
// depot writes money, the phone shows it.
package ke.fundi.app

import android.os.Bundle
import android.text.format.DateUtils
import android.view.View
import android.widget.TextView
import ke.fundi.app.logic.EarningRow
import ke.fundi.app.logic.EarningsPresenter
import ke.fundi.app.logic.EarningsState

class EarningsActivity : FundiActivity() {

    private val adapter by lazy { BoundRows(layoutInflater, R.layout.item_earning, bind = ::bind) }
    private lateinit var summary: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val list = showList(R.string.earnings_title, adapter)
        summary = layoutInflater.inflate(R.layout.item_heading, list, false) as TextView
        list.addHeaderView(summary, null, false)
    }

    override fun onResume() {
        super.onResume()
        val language = app.language()
        work(work = { EarningsPresenter(app.sync(), language).load() }, done = ::show)
    }

    private fun show(state: EarningsState) {
        adapter.rows = state.rows
        adapter.notifyDataSetChanged()
        summary.showOrHide(listOfNotNull(state.balance, state.earned, state.menteeSales).joinToString("\n") { text(it) }.ifEmpty { null })
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.earnings_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
    }

    private fun bind(view: View, row: EarningRow) {
        view.findViewById<TextView>(R.id.earning_what).text = text(row.what)
        val amount = view.findViewById<TextView>(R.id.earning_amount)
        amount.text = row.amount
        amount.setTextColor(getColor(if (row.credit) R.color.clay_dark else R.color.muted))
        val now = System.currentTimeMillis()
        val whenText = DateUtils.getRelativeTimeSpanString(row.atMs, now, DateUtils.MINUTE_IN_MILLIS)
        view.findViewById<TextView>(R.id.earning_when).text = row.note?.let { "$whenText · $it" } ?: whenText
        view.findViewById<TextView>(R.id.earning_status).showOrHide(row.status?.let { text(it) })
    }
}
