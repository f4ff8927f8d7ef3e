// Conflicts and stuck changes: each with what it is about, both values or why the depot
// refused, and its actions (keep or restore; send again or discard; dismiss).
package ke.fundi.app

import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.ConflictAction
import ke.fundi.app.logic.ConflictRow
import ke.fundi.app.logic.ConflictsPresenter
import ke.fundi.app.logic.ConflictsState

class ConflictsActivity : FundiActivity() {

    private val adapter by lazy { BoundRows(layoutInflater, R.layout.item_conflict, bind = ::bind) }
    private var busy = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        showList(R.string.conflicts_title, adapter)
    }

    override fun onResume() {
        super.onResume()
        val language = app.language()
        work(work = { ConflictsPresenter(app.drafts(), app.sync(), language).load() }, done = ::show)
    }

    private fun settle(id: String, action: ConflictAction) {
        if (busy) return
        busy = true
        val language = app.language()
        work(work = { ConflictsPresenter(app.drafts(), app.sync(), language).settle(id, action) }, done = { busy = false; show(it) })
    }

    private fun show(state: ConflictsState) {
        adapter.rows = state.rows
        adapter.notifyDataSetChanged()
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.conflicts_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
        state.notice?.let { Toast.makeText(this, text(it), Toast.LENGTH_SHORT).show() }
    }

    /** One conflict or refused change, with the buttons the core offers. */
    private fun bind(view: View, row: ConflictRow) {
        view.findViewById<TextView>(R.id.conflict_title).text = text(row.title)
        view.findViewById<TextView>(R.id.conflict_current).showOrHide(row.current?.let { getString(R.string.conflict_current_value, text(it)) })
        view.findViewById<TextView>(R.id.conflict_other).showOrHide(row.other?.let { getString(R.string.conflict_other_value, text(it)) })
        view.findViewById<TextView>(R.id.conflict_reason).showOrHide(row.reason?.let { text(it) })
        view.findViewById<TextView>(R.id.conflict_folded).showOrHide(row.folded?.let { text(it) })
        val actions = view.findViewById<LinearLayout>(R.id.conflict_actions)
        actions.removeAllViews()
        for (a in row.actions) {
            val button = layoutInflater.inflate(R.layout.item_action_button, actions, false) as Button
            button.text = text(a.label)
            button.setOnClickListener { settle(row.id, a) }
            actions.addView(button)
        }
    }
}
