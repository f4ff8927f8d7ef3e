// A mentor's mentees, as of her last sync (the list shows offline): whose phone is enrolled,
// whose code waits, who has no phone (make her a new code), who has gone quiet for a week, how
// many drafts each has waiting for review and how many orders she is late with; and revoking a
// mentee's lost phone (from the list, or by the phone id her Settings show). Calls block on the
// database (and revoking on the network).
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
    /** "Late orders: 2" (null: none late), as the core counts them. */
    val lateOrders: UiText? = null,
    /** Her phones, most recently seen first: each can be revoked when lost. */
    val phones: List<MenteePhone> = emptyList(),
)

/** One of a mentee's phones: its id (what is revoked) and when it last reached the depot. */
data class MenteePhone(val deviceId: String, val lastSeenMs: Long?)

/** After revoking a phone: done, or why not. */
data class RevokeState(val done: Boolean, val message: UiText)

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
        lateOrders = if (m.lateOrders == 0u) null else UiText(StringKey.MENTEE_LATE_ORDERS, m.lateOrders.toLong()),
        phones = m.devices.map { MenteePhone(it.deviceId, it.lastSeenMs?.toLong()) },
    )
}

class MenteesPresenter(private val sync: SyncServiceInterface) {

    /** Quiet mentees and those late with orders first (they need her), then by name as the core lists them. */
    fun load(nowMs: Long = System.currentTimeMillis()): MenteesState = try {
        MenteesState(sync.mentees().map { menteeRow(it, nowMs) }.sortedBy { !(it.quiet || it.lateOrders != null) })
    } catch (e: FundiException) {
        MenteesState(emptyList(), errorText(e))
    }

    /**
     * Revoke a mentee's lost phone by its id (from her row, or as her Settings screen shows it;
     * the depot checks that it is a mentee's). The phone's next sync is refused and it must
     * enroll again. Her row shows the change after the mentor's next sync.
     */
    fun revokePhone(deviceId: String): RevokeState {
        val id = deviceId.trim()
        if (id.isEmpty()) return RevokeState(false, UiText(StringKey.REVOKE_ID_REQUIRED))
        return try {
            sync.revokeDevice(id)
            RevokeState(true, UiText(StringKey.REVOKE_DONE))
        } catch (e: FundiException) {
            val text = when (e) {
                is FundiException.Offline -> UiText(StringKey.REVOKE_NEEDS_DEPOT)
                is FundiException.Depot, is FundiException.NotFound, is FundiException.NotAllowed -> UiText(StringKey.REVOKE_REFUSED)
                else -> errorText(e)
            }
            RevokeState(false, text)
        }
    }
}
