// The mentor's mentees: each with her phone's state, when it last synced (a quiet one marked
// and listed first), and her drafts waiting for review. As of the mentor's last sync. A tap
// opens the mentee's profile for the mentor to edit.
package ke.fundi.app

import android.os.Bundle
import android.text.format.DateUtils
import android.view.View
import android.widget.TextView
import ke.fundi.app.logic.MenteeRow
import ke.fundi.app.logic.MenteesPresenter
import ke.fundi.app.logic.MenteesState

class MenteesActivity : FundiActivity() {

    private val adapter by lazy { BoundRows(layoutInflater, R.layout.item_mentee, tappable = true, bind = ::bind) }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val list = showList(R.string.mentees_title, adapter)
        list.setOnItemClickListener { _, _, position, _ ->
            val row = adapter.rows[position]
            open(ProfileActivity::class.java) {
                putExtra(ProfileActivity.EXTRA_ACCOUNT_ID, row.accountId)
                putExtra(ProfileActivity.EXTRA_NAME, row.name)
            }
        }
    }

    override fun onResume() {
        super.onResume()
        work(work = { MenteesPresenter(app.sync()).load() }, done = ::show)
    }

    private fun show(state: MenteesState) {
        adapter.rows = state.rows
        adapter.notifyDataSetChanged()
        findViewById<TextView>(R.id.list_empty).text = if (state.isEmpty) getString(R.string.mentees_empty) else ""
        findViewById<TextView>(R.id.list_message).showOrHide(state.message?.let { text(it) })
    }

    /** One mentee's row. */
    private fun bind(view: View, row: MenteeRow) {
        view.findViewById<TextView>(R.id.mentee_name).text = row.name
        view.findViewById<TextView>(R.id.mentee_phone).text = text(row.phone)
        val seen = row.lastSeenMs?.let {
            getString(R.string.mentee_last_seen, DateUtils.getRelativeTimeSpanString(it, System.currentTimeMillis(), DateUtils.MINUTE_IN_MILLIS))
        }
        view.findViewById<TextView>(R.id.mentee_seen).showOrHide(seen)
        view.findViewById<TextView>(R.id.mentee_quiet).visibility = if (row.quiet) View.VISIBLE else View.GONE
        view.findViewById<TextView>(R.id.mentee_drafts).showOrHide(row.draftsWaiting?.let { text(it) })
    }
}
