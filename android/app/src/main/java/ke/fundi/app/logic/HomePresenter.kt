// The artisan's home, "Leo" / "Today": what needs her first (orders waiting for her command,
// drafts her mentor sent back with a note), then what waits to be synced, what sending it will
// cost (the core's estimate; what the depot would send back only when she asks: it needs the
// network), when she last synced and what that cost; the "Sync now" button itself is the
// process-wide SyncController. Calls block on the database: call them from the worker thread.
package ke.fundi.app.logic

import java.util.Locale
import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.SyncEstimate
import uniffi.fundi.SyncServiceInterface

/** A draft the reviewer sent back, with the reviewer's note when there is one. */
data class ReturnedDraft(val id: String, val title: String, val note: String?)

data class HomeState(
    val ordersForYou: List<OrderRow> = emptyList(),
    val returnedDrafts: List<ReturnedDraft> = emptyList(),
    /** "3 changes wait to be sent" or "Everything is sent". */
    val waiting: UiText? = null,
    /** Changes the depot refused and conflicts to settle, pointing to that screen; null if none. */
    val toSettle: UiText? = null,
    /** Records this app version cannot show ("update the app"), null if none. */
    val needsNewerApp: UiText? = null,
    /** When the last sync succeeded (ms since the epoch), null if never. */
    val lastSyncMs: Long? = null,
    /** What the next sync will send ("3 changes (2 KB), 1 small photo (15 KB), ..."), null if nothing. */
    val toSend: UiText? = null,
    /** Photos the data saver keeps for Wi-Fi, null if none. */
    val photosWaitForWifi: UiText? = null,
    /** What the last sync sent and received, null before the first. */
    val lastTally: UiText? = null,
    val message: UiText? = null,
) {
    /** Nothing for her to do right now (the screen says so). */
    val nothingToDo: Boolean get() = ordersForYou.isEmpty() && returnedDrafts.isEmpty() && message == null
}

/** A byte count as the screens show it: "800 B", "15 KB", "1.2 MB". */
fun sizeText(bytes: ULong): String {
    val b = bytes.toLong()
    return when {
        b < 1024 -> "$b B"
        b < 1024 * 1024 -> "${(b + 512) / 1024} KB"
        else -> String.format(Locale.ROOT, "%.1f MB", b / (1024.0 * 1024.0))
    }
}

/** What the next sync will send, or null when there is nothing. */
fun toSendText(e: SyncEstimate): UiText? {
    val parts = listOf(e.recordsOut, e.thumbnailsOut, e.photosOut)
    if (parts.all { it.items == 0u }) return null
    return UiText(StringKey.HOME_TO_SEND, parts.flatMap { listOf(it.items.toLong(), sizeText(it.bytes)) })
}

class HomePresenter(
    private val drafts: DraftServiceInterface,
    private val sync: SyncServiceInterface,
    private val language: Language,
    /** The phone is on an unmetered network (Wi-Fi), as Android says: the core decides what goes. */
    private val unmetered: Boolean = false,
) {
    /**
     * What the depot would send at the next sync, asked of the depot (needs the network): the
     * line to show, or why it could not be asked.
     */
    fun toReceive(): UiText = try {
        val coming = sync.syncEstimate(unmetered, true).recordsIn
        if (coming == null) UiText(StringKey.ERROR_DEPOT) else UiText(StringKey.HOME_TO_RECEIVE, coming.items.toLong(), sizeText(coming.bytes))
    } catch (e: FundiException) {
        syncFailureText(e).first
    }

    fun load(): HomeState = try {
        val status = sync.syncStatus()
        // Orders are the depot's: a phone not enrolled has none (and cannot ask whose they are).
        val orders = if (!status.enrolled) emptyList() else sync.listOrders().filter { it.commands.isNotEmpty() }.map { orderRow(it, language) }
        val returned = drafts.listDrafts()
            .filter { it.status == DraftStatus.CHANGES_REQUESTED }
            .map { ReturnedDraft(it.id, it.title, drafts.reviewNote(it.id)) }
        val pending = status.pending.toLong()
        // What it will cost: without the network (what the depot would send is asked apart).
        val estimate = if (status.enrolled) sync.syncEstimate(unmetered, false) else null
        val heldBack = estimate?.photosHeldBack?.takeIf { it.items > 0u }
        HomeState(
            ordersForYou = orders,
            returnedDrafts = returned,
            waiting = if (pending == 0L) UiText(StringKey.HOME_ALL_SENT) else UiText(StringKey.HOME_WAITING, pending),
            toSettle = if (status.conflicts == 0u) null else UiText(StringKey.HOME_TO_SETTLE, status.conflicts.toLong()),
            needsNewerApp = if (status.needsNewerApp == 0u) null else UiText(StringKey.HOME_NEEDS_NEWER_APP, status.needsNewerApp.toLong()),
            lastSyncMs = status.lastSyncMs?.toLong(),
            toSend = estimate?.let(::toSendText),
            photosWaitForWifi = heldBack?.let { UiText(StringKey.HOME_PHOTOS_WAIT_WIFI, it.items.toLong(), sizeText(it.bytes)) },
            lastTally = status.lastTally?.let { UiText(StringKey.HOME_LAST_TALLY, sizeText(it.bytesSent), sizeText(it.bytesReceived)) },
        )
    } catch (e: FundiException) {
        HomeState(message = errorText(e))
    }
}
