// "My products" / "Bidhaa zangu", from her home: each approved product with how the shop lists
// it, the shop's price and hers, the pieces at the depot, whether she makes it to order and a
// new version on its way; tap one to open its draft (where she makes a new version).
package ke.fundi.app

import android.os.Bundle
import android.view.View
import android.widget.TextView
import ke.fundi.app.logic.MyProductsPresenter
import ke.fundi.app.logic.MyProductsState
import ke.fundi.app.logic.ProductRow

class MyProductsActivity : FundiActivity() {

    private val adapter by lazy { BoundRows(layoutInflater, R.layout.item_product, tappable = true, bind = ::bind) }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val list = showList(R.string.products_title, adapter)
        list.setOnItemClickListener { _, _, position, _ ->
            val id = adapter.rows[position].id
            open(DraftEditorActivity::class.java) { putExtra(DraftEditorActivity.EXTRA_DRAFT_ID, id) }
        }
    }

    override fun onResume() {
        super.onResume()
        val language = app.language()
        work(work = { MyProductsPresenter(app.sync(), language).load() }, done = ::show)
    }

    private fun show(state: MyProductsState) {
        adapter.rows = state.rows
        adapter.notifyDataSetChanged()
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.products_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
    }

    private fun bind(view: View, row: ProductRow) {
        view.findViewById<TextView>(R.id.product_title).text = row.title
        view.findViewById<TextView>(R.id.product_version).text = text(row.version)
        val listing = view.findViewById<TextView>(R.id.product_listing)
        listing.text = text(row.listing)
        listing.setTextColor(getColor(if (row.onSale) R.color.leaf else R.color.clay_dark))
        view.findViewById<TextView>(R.id.product_shop_price).showOrHide(row.shopPrice?.let { text(it) })
        view.findViewById<TextView>(R.id.product_your_price).text = text(row.yourPrice)
        view.findViewById<TextView>(R.id.product_pieces).text = text(row.pieces)
        view.findViewById<TextView>(R.id.product_making).text = text(row.making)
        view.findViewById<TextView>(R.id.product_new_version).showOrHide(row.newVersion?.let { text(it) })
    }
}
