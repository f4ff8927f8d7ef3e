// The artisan's orders: those waiting for her first, then the others under their status.
package ke.fundi.app

import android.os.Bundle
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.TextView
import ke.fundi.app.logic.OrderRow
import ke.fundi.app.logic.OrdersPresenter
import ke.fundi.app.logic.OrdersState
import ke.fundi.app.logic.StringKey

class OrdersActivity : FundiActivity() {

    /** A list entry: a heading or an order. */
    private sealed class Entry {
        class Heading(val title: StringKey) : Entry()
        class Order(val row: OrderRow) : Entry()
    }

    private val adapter = EntriesAdapter()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        showList(R.string.orders_title, adapter)
    }

    override fun onResume() {
        super.onResume()
        val language = app.language()
        work(work = { OrdersPresenter(app.sync(), language).list() }, done = ::show)
    }

    private fun show(state: OrdersState) {
        adapter.entries = state.groups.flatMap { g -> listOf<Entry>(Entry.Heading(g.title)) + g.rows.map { Entry.Order(it) } }
        adapter.notifyDataSetChanged()
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.orders_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
    }

    private inner class EntriesAdapter : BaseAdapter() {
        var entries: List<Entry> = emptyList()

        override fun getCount() = entries.size
        override fun getItem(position: Int): Any = entries[position]
        override fun getItemId(position: Int) = position.toLong()
        override fun getViewTypeCount() = 2
        override fun getItemViewType(position: Int) = if (entries[position] is Entry.Heading) 0 else 1
        override fun isEnabled(position: Int) = entries[position] is Entry.Order

        override fun getView(position: Int, convertView: View?, parent: ViewGroup): View =
            when (val e = entries[position]) {
                is Entry.Heading -> {
                    val view = convertView ?: layoutInflater.inflate(R.layout.item_heading, parent, false)
                    (view as TextView).text = text(e.title)
                    view
                }
                is Entry.Order -> orderView(this@OrdersActivity, parent, e.row, convertView)
            }
    }
}
