// The mentor's home: enroll a new artisan (the one-time code shown large, to be typed on the
// new phone), mentees' drafts to review (approve, or ask for changes with a note the artisan
// sees; the buttons are those the core offers), and "Sync now".
package ke.fundi.app

import android.app.AlertDialog
import android.os.Bundle
import android.text.InputType
import android.util.TypedValue
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.NewEnrollmentState
import ke.fundi.app.logic.ReviewAction
import ke.fundi.app.logic.ReviewPresenter
import ke.fundi.app.logic.ReviewRow
import ke.fundi.app.logic.ReviewState

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
        findViewById<Button>(R.id.action_revoke_phone).setOnClickListener { askPhoneId() }
        findViewById<Button>(R.id.nav_settings).setOnClickListener { open(SettingsActivity::class.java) }
    }

    override fun reload() {
        work(work = { ReviewPresenter(app.sync()).load() }, done = ::show)
    }

    private fun show(state: ReviewState) {
        adapter.rows = state.rows
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
        work(work = { ReviewPresenter(app.sync()).review(id, action.command, note) }, done = { busy = false; show(it) })
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
                work(work = { ReviewPresenter(app.sync()).enrollArtisan(name) }, done = ::showCode)
            }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    /** Revoke a mentee's lost phone by the phone id from its Settings screen. */
    private fun askPhoneId() {
        val field = EditText(this)
        field.inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_FLAG_NO_SUGGESTIONS
        field.setHint(R.string.hint_phone_id)
        field.minHeight = resources.getDimensionPixelSize(R.dimen.touch_target)
        AlertDialog.Builder(this)
            .setTitle(R.string.revoke_phone)
            .setMessage(R.string.revoke_phone_note)
            .setView(field)
            .setPositiveButton(R.string.revoke) { _, _ ->
                val id = field.text.toString()
                work(work = { ReviewPresenter(app.sync()).revokePhone(id) }, done = { state ->
                    AlertDialog.Builder(this).setMessage(text(state.message)).setPositiveButton(R.string.ok, null).show()
                })
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

    private inner class RowsAdapter : BaseAdapter() {
        var rows: List<ReviewRow> = emptyList()

        override fun getCount() = rows.size
        override fun getItem(position: Int): Any = rows[position]
        override fun getItemId(position: Int) = position.toLong()
        override fun isEnabled(position: Int) = false

        override fun getView(position: Int, convertView: View?, parent: ViewGroup): View {
            val view = convertView ?: layoutInflater.inflate(R.layout.item_review, parent, false)
            val row = rows[position]
            view.findViewById<TextView>(R.id.review_title).text = row.title
            view.findViewById<TextView>(R.id.review_state).text = text(row.status)
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
