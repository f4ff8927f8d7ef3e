// The mentor's home: enroll a new artisan (the one-time code shown large, to be typed on the
// new phone), mentees' drafts to review with their photos (approve, or ask for changes with a
// note the artisan sees; the buttons are those the core offers), and "Sync now". After a sync
// the photos the phone lacks are fetched (thumbnails on any network, photos on Wi-Fi).
package ke.fundi.app

import android.app.AlertDialog
import android.graphics.Bitmap
import android.os.Bundle
import android.text.InputType
import android.util.TypedValue
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.ScrollView
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.NewEnrollmentState
import ke.fundi.app.logic.ReviewAction
import ke.fundi.app.logic.ReviewPresenter
import ke.fundi.app.logic.ReviewRow
import ke.fundi.app.logic.ReviewState
import ke.fundi.app.logic.bestFileOf

class MentorActivity : SyncingActivity() {

    private val adapter = RowsAdapter()
    private var busy = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_mentor)
        setTitle(R.string.mentor_title)
        attachSyncPanel()
        val list = findViewById<ListView>(R.id.list)
        list.adapter = adapter
        list.emptyView = findViewById(R.id.list_empty)
        findViewById<Button>(R.id.action_enroll_artisan).setOnClickListener { askName() }
        findViewById<Button>(R.id.nav_mentees).setOnClickListener { open(MenteesActivity::class.java) }
        findViewById<Button>(R.id.nav_earnings).setOnClickListener { open(EarningsActivity::class.java) }
        findViewById<Button>(R.id.nav_settings).setOnClickListener { open(SettingsActivity::class.java) }
    }

    private fun presenter() = ReviewPresenter(app.sync(), app.reviewPhotos())

    override fun reload() {
        work(work = { withThumbnails(presenter().load()) }, done = { show(it.first, it.second) })
    }

    /** After a sync: fetch the photos the phone lacks, then show. */
    override fun afterSync() {
        val unmetered = app.unmetered()
        work(work = { withThumbnails(presenter().fetchPhotos(unmetered)) }, done = { show(it.first, it.second) })
    }

    /** Decode each row's thumbnail here, on the worker. */
    private fun withThumbnails(state: ReviewState): Pair<ReviewState, Map<String, Bitmap>> {
        val side = resources.getDimensionPixelSize(R.dimen.thumbnail)
        val decoded = state.rows.mapNotNull { row -> row.thumbnail?.let { path -> decodeSampled(path, side)?.let { row.id to it } } }
        return state to decoded.toMap()
    }

    private fun show(state: ReviewState, thumbnails: Map<String, Bitmap> = emptyMap()) {
        adapter.rows = state.rows
        adapter.thumbnails = thumbnails
        adapter.notifyDataSetChanged()
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.review_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
        state.notice?.let { Toast.makeText(this, text(it), Toast.LENGTH_SHORT).show() }
    }

    private fun review(row: ReviewRow, action: ReviewAction) {
        if (!action.asksNote) return send(row.id, action, null)
        val field = EditText(this)
        field.inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_FLAG_CAP_SENTENCES or InputType.TYPE_TEXT_FLAG_MULTI_LINE
        field.setHint(R.string.hint_review_note)
        field.minHeight = resources.getDimensionPixelSize(R.dimen.touch_target)
        AlertDialog.Builder(this)
            .setTitle(text(action.label))
            .setMessage(row.title)
            .setView(field)
            .setPositiveButton(text(action.label)) { _, _ -> send(row.id, action, field.text.toString()) }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    private fun send(id: String, action: ReviewAction, note: String?) {
        if (busy) return
        busy = true
        work(work = { withThumbnails(presenter().review(id, action.command, note)) }, done = {
            busy = false
            show(it.first, it.second)
        })
    }

    private fun askName() {
        val field = EditText(this)
        field.inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_FLAG_CAP_WORDS
        field.setHint(R.string.hint_artisan_name)
        field.minHeight = resources.getDimensionPixelSize(R.dimen.touch_target)
        AlertDialog.Builder(this)
            .setTitle(R.string.enroll_artisan)
            .setView(field)
            .setPositiveButton(R.string.make_code) { _, _ ->
                val name = field.text.toString()
                work(work = { presenter().enrollArtisan(name) }, done = ::showCode)
            }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    /** The new artisan's one-time code, large, to be typed on the new phone. */
    private fun showCode(state: NewEnrollmentState) {
        val code = state.code
        if (code == null) {
            AlertDialog.Builder(this).setMessage(state.message?.let { text(it) }).setPositiveButton(R.string.ok, null).show()
            return
        }
        val view = TextView(this)
        view.text = code
        view.setTextSize(TypedValue.COMPLEX_UNIT_PX, resources.getDimension(R.dimen.text_code_large))
        view.typeface = android.graphics.Typeface.MONOSPACE
        view.textAlignment = View.TEXT_ALIGNMENT_CENTER
        view.setTextIsSelectable(true)
        val gap = resources.getDimensionPixelSize(R.dimen.gap)
        view.setPadding(gap, gap, gap, gap)
        AlertDialog.Builder(this)
            .setTitle(R.string.new_code_title)
            .setMessage(R.string.new_code_note)
            .setView(view)
            .setPositiveButton(R.string.ok, null)
            .show()
    }

    /** Every photo of a draft, one under the other, each the photo itself once fetched. */
    private fun showPhotos(row: ReviewRow) {
        val width = resources.displayMetrics.widthPixels
        val decode = { presenter().photosOf(row.id).mapNotNull { p -> bestFileOf(p)?.let { decodeSampled(it, width / 2) } } }
        work(work = decode, done = { bitmaps ->
            if (bitmaps.isEmpty()) return@work
            val column = LinearLayout(this)
            column.orientation = LinearLayout.VERTICAL
            for (b in bitmaps) {
                val image = ImageView(this)
                image.setImageBitmap(b)
                image.adjustViewBounds = true
                image.contentDescription = row.title
                column.addView(image)
            }
            val scroll = ScrollView(this)
            scroll.addView(column)
            AlertDialog.Builder(this).setTitle(row.title).setView(scroll).setPositiveButton(R.string.ok, null).show()
        })
    }

    private inner class RowsAdapter : BaseAdapter() {
        var rows: List<ReviewRow> = emptyList()
        var thumbnails: Map<String, Bitmap> = emptyMap()

        override fun getCount() = rows.size
        override fun getItem(position: Int): Any = rows[position]
        override fun getItemId(position: Int) = position.toLong()
        override fun isEnabled(position: Int) = false

        override fun getView(position: Int, convertView: View?, parent: ViewGroup): View {
            val view = convertView ?: layoutInflater.inflate(R.layout.item_review, parent, false)
            val row = rows[position]
            view.findViewById<TextView>(R.id.review_title).text = row.title
            view.findViewById<TextView>(R.id.review_state).text = text(row.status)
            view.findViewById<TextView>(R.id.review_photos).showOrHide(row.photoNote?.let { text(it) })
            val image = view.findViewById<ImageView>(R.id.review_thumbnail)
            image.setImageBitmap(thumbnails[row.id])
            image.visibility = if (row.photos == 0) View.GONE else View.VISIBLE
            image.setOnClickListener { showPhotos(row) }
            val actions = view.findViewById<LinearLayout>(R.id.review_actions)
            actions.removeAllViews()
            for (a in row.actions) {
                val button = layoutInflater.inflate(R.layout.item_action_button, actions, false) as Button
                button.text = text(a.label)
                button.setOnClickListener { review(row, a) }
                actions.addView(button)
            }
            return view
        }
    }
}
