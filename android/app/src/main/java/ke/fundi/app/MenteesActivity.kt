// The mentor's mentees: each with her phone's state, when it last synced (a quiet one marked
// and listed first), her drafts waiting for review and her late orders, as of the mentor's last
// sync; revoking a lost phone of hers (needs the depot); a tap opens the mentee's profile for
// the mentor to edit.
package ke.fundi.app

import android.app.AlertDialog
import android.os.Bundle
import android.text.format.DateUtils
import android.view.View
import android.widget.Button
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.MenteePhone
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
        view.findViewById<TextView>(R.id.mentee_late).showOrHide(row.lateOrders?.let { text(it) })
        val revoke = view.findViewById<Button>(R.id.mentee_revoke)
        revoke.visibility = if (row.phones.isEmpty()) View.GONE else View.VISIBLE
        revoke.setOnClickListener { askWhichPhone(row) }
    }

    private fun phoneLabel(phone: MenteePhone): String {
        val short = phone.deviceId.takeLast(6)
        return phone.lastSeenMs?.let {
            getString(R.string.mentee_phone_seen, short, DateUtils.getRelativeTimeSpanString(it, System.currentTimeMillis(), DateUtils.MINUTE_IN_MILLIS))
        } ?: getString(R.string.mentee_phone_never_synced, short)
    }

    /** Which of her phones is lost (most recently seen first), then confirm. */
    private fun askWhichPhone(row: MenteeRow) {
        val labels = row.phones.map(::phoneLabel).toTypedArray()
        AlertDialog.Builder(this)
            .setTitle(getString(R.string.mentee_revoke_title, row.name))
            .setItems(labels) { _, which -> confirmRevoke(row.phones[which], labels[which]) }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    private fun confirmRevoke(phone: MenteePhone, label: String) {
        AlertDialog.Builder(this)
            .setTitle(R.string.revoke_phone)
            .setMessage(getString(R.string.mentee_revoke_confirm, label))
            .setPositiveButton(R.string.revoke) { _, _ ->
                work(work = { MenteesPresenter(app.sync()).revokePhone(phone.deviceId) }, done = { state ->
                    Toast.makeText(this, text(state.message), Toast.LENGTH_LONG).show()
                })
            }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }
}
