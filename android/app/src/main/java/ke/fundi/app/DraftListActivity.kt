// The artisan's drafts, newest first (each row with its main photo and its category's icon),
// and the button to start a new one.
package ke.fundi.app

import android.content.Intent
import android.os.Bundle
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.Button
import android.widget.ImageView
import android.widget.ListView
import android.widget.TextView
import ke.fundi.app.logic.DraftListPresenter
import ke.fundi.app.logic.DraftListState
import ke.fundi.app.logic.DraftRow
import ke.fundi.app.logic.errorText
import uniffi.fundi.FundiException

class DraftListActivity : FundiActivity() {

    private val thumbnailPx: Int by lazy { resources.getDimensionPixelSize(R.dimen.row_thumbnail) }
    private val adapter = RowsAdapter()
    private lateinit var empty: TextView
    private lateinit var message: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_draft_list)
        setTitle(R.string.drafts_title)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        empty = findViewById(R.id.drafts_empty)
        message = findViewById(R.id.drafts_message)
        val list = findViewById<ListView>(R.id.drafts_list)
        list.adapter = adapter
        list.emptyView = empty
        list.setOnItemClickListener { _, _, position, _ -> openEditor(adapter.getItem(position).id) }
        findViewById<Button>(R.id.new_draft).setOnClickListener { openEditor(null) }
    }

    override fun onResume() {
        super.onResume()
        // Reload every time the list comes back: the editor may have changed, sent or deleted a draft.
        val language = app.language()
        app.background(
            work = {
                try {
                    DraftListPresenter(app.photos(), language).load()
                } catch (e: FundiException) {
                    DraftListState(emptyList(), errorText(e))
                }
            },
            stillWanted = { !isDestroyed },
            done = ::show,
        )
    }

    private fun show(state: DraftListState) {
        adapter.rows = state.rows
        adapter.notifyDataSetChanged()
        // The welcome text only when there is truly nothing; an error has its own line.
        empty.text = if (state.isEmpty) getString(R.string.drafts_empty) else ""
        val error = state.message
        message.visibility = if (error == null) View.GONE else View.VISIBLE
        message.text = if (error == null) "" else text(error)
    }

    private fun openEditor(id: String?) {
        val intent = Intent(this, DraftEditorActivity::class.java)
        if (id != null) intent.putExtra(DraftEditorActivity.EXTRA_DRAFT_ID, id)
        startActivity(intent)
    }

    private inner class RowsAdapter : BaseAdapter() {
        var rows: List<DraftRow> = emptyList()

        override fun getCount(): Int = rows.size
        override fun getItem(position: Int): DraftRow = rows[position]
        override fun getItemId(position: Int): Long = position.toLong()

        override fun getView(position: Int, convertView: View?, parent: ViewGroup): View {
            // Rows are reused: the holder keeps the row's views, found once per row.
            val view = convertView ?: layoutInflater.inflate(R.layout.item_draft, parent, false).also { it.tag = Holder(it) }
            val holder = view.tag as Holder
            val row = rows[position]
            holder.title.text = row.title
            holder.details.text = getString(R.string.row_price_capacity, row.price, text(row.weeklyCapacity))
            holder.category.text = text(row.category)
            holder.category.setCompoundDrawablesRelativeWithIntrinsicBounds(row.categoryIcon.iconRes(), 0, 0, 0)
            holder.state.text = text(row.state)
            holder.thumbnail.contentDescription =
                if (row.thumbnailPath == null) getString(R.string.row_no_photo)
                else getString(R.string.row_photos, row.photoCount)
            ThumbnailLoader.show(holder.thumbnail, row.thumbnailPath, thumbnailPx, R.drawable.ic_draft)
            return view
        }
    }

    private class Holder(view: View) {
        val thumbnail: ImageView = view.findViewById(R.id.row_thumbnail)
        val title: TextView = view.findViewById(R.id.row_title)
        val details: TextView = view.findViewById(R.id.row_details)
        val category: TextView = view.findViewById(R.id.row_category)
        val state: TextView = view.findViewById(R.id.row_state)
    }
}
