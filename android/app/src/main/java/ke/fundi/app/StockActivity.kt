// Stock at the depot: per product, what the depot holds for her; tap a product for its
// movements (received, shipped, counted), newest first.
package ke.fundi.app

import android.app.AlertDialog
import android.os.Bundle
import android.text.format.DateUtils
import android.view.View
import android.widget.ListView
import android.widget.TextView
import ke.fundi.app.logic.MovementsState
import ke.fundi.app.logic.StockPresenter
import ke.fundi.app.logic.StockRow
import ke.fundi.app.logic.StockState

class StockActivity : FundiActivity() {

    private val adapter by lazy { BoundRows(layoutInflater, R.layout.item_stock, tappable = true, bind = ::bind) }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val list = showList(R.string.stock_title, adapter)
        list.setOnItemClickListener { _, _, position, _ -> showMovements(adapter.rows[position]) }
    }

    override fun onResume() {
        super.onResume()
        work(work = { StockPresenter(app.sync()).levels() }, done = ::show)
    }

    private fun show(state: StockState) {
        adapter.rows = state.rows
        adapter.notifyDataSetChanged()
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.stock_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
    }

    private fun showMovements(row: StockRow) {
        work(work = { StockPresenter(app.sync()).movements(row.productId) }, done = { state: MovementsState ->
            val now = System.currentTimeMillis()
            val lines = state.rows.map {
                val line = getString(R.string.movement_line, it.change, it.reason, DateUtils.getRelativeTimeSpanString(it.atMs, now, DateUtils.MINUTE_IN_MILLIS))
                if (it.pending) getString(R.string.movement_pending, line) else line
            }
            val body = state.message?.let { text(it) } ?: if (lines.isEmpty()) getString(R.string.movements_empty) else lines.joinToString("\n")
            AlertDialog.Builder(this)
                .setTitle(row.title)
                .setIcon(R.drawable.ic_stock)
                .setMessage(body)
                .setPositiveButton(R.string.ok, null)
                .show()
        })
    }

    /** One product's stock; tapped for its movements. */
    private fun bind(view: View, row: StockRow) {
        view.findViewById<TextView>(R.id.stock_title).text = row.title
        view.findViewById<TextView>(R.id.stock_units).text = text(row.units)
    }
}
