// A mentor's mentees, as of her last sync (the list shows offline): whose phone is enrolled,
// whose code waits, who has no phone (make her a new code), who has gone quiet for a week, and
// how many drafts each has waiting for review. Calls block on the database.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.MenteeView
import uniffi.fundi.SyncServiceInterface

/** A mentee's phone not seen for this long is "quiet": the mentor should look in on her. */
const val QUIET_AFTER_MS: Long = 7L * 24 * 60 * 60 * 1000

/**
 * One mentee: her name; her phone's state; when her phone last reached the depot (null: never);
 * whether that is over a week ago; her drafts waiting for review (null: none).
 */
data class MenteeRow(
    val accountId: String,
    val name: String,
    val phone: UiText,
    val lastSeenMs: Long?,
    val quiet: Boolean,
    val draftsWaiting: UiText?,
)

data class MenteesState(val rows: List<MenteeRow>, val message: UiText? = null) {
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

fun menteeRow(m: MenteeView, nowMs: Long): MenteeRow {
    val phone = when {
        m.phones > 0u -> UiText(StringKey.MENTEE_PHONE_ENROLLED)
        m.codeWaiting -> UiText(StringKey.MENTEE_CODE_WAITING)
        else -> UiText(StringKey.MENTEE_NO_PHONE)
    }
    val seen = m.lastSeenMs?.toLong()
    return MenteeRow(
        accountId = m.accountId,
        name = m.name,
        phone = phone,
        lastSeenMs = seen,
        // Only a phone she has can go quiet; a new mentee's code waiting is not news.
        quiet = m.phones > 0u && (seen == null || nowMs - seen > QUIET_AFTER_MS),
        draftsWaiting = if (m.draftsWaiting == 0u) null else UiText(StringKey.MENTEE_DRAFTS_WAITING, m.draftsWaiting.toLong()),
    )
}

class MenteesPresenter(private val sync: SyncServiceInterface) {

    /** Quiet mentees first (they need her), then by name as the core lists them. */
    fun load(nowMs: Long = System.currentTimeMillis()): MenteesState = try {
        MenteesState(sync.mentees().map { menteeRow(it, nowMs) }.sortedBy { !it.quiet })
    } catch (e: FundiException) {
        MenteesState(emptyList(), errorText(e))
    }
}
