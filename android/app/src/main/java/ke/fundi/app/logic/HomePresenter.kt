// The artisan's home, "Leo" / "Today": what needs her first (orders waiting for her command,
// drafts her mentor sent back with a note), then what waits to be synced and when she last
// synced; the "Sync now" button itself is the process-wide SyncController. Calls block on the
// database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.Language
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
    val message: UiText? = null,
) {
    /** Nothing for her to do right now (the screen says so). */
    val nothingToDo: Boolean get() = ordersForYou.isEmpty() && returnedDrafts.isEmpty() && message == null
}

class HomePresenter(
    private val drafts: DraftServiceInterface,
    private val sync: SyncServiceInterface,
    private val language: Language,
) {
    fun load(): HomeState = try {
        val status = sync.syncStatus()
        // Orders are the depot's: a phone not enrolled has none (and cannot ask whose they are).
        val orders = if (!status.enrolled) emptyList() else sync.listOrders().filter { it.commands.isNotEmpty() }.map { orderRow(it, language) }
        val returned = drafts.listDrafts()
            .filter { it.status == DraftStatus.CHANGES_REQUESTED }
            .map { ReturnedDraft(it.id, it.title, drafts.reviewNote(it.id)) }
        val pending = status.pending.toLong()
        HomeState(
            ordersForYou = orders,
            returnedDrafts = returned,
            waiting = if (pending == 0L) UiText(StringKey.HOME_ALL_SENT) else UiText(StringKey.HOME_WAITING, pending),
            toSettle = if (status.conflicts == 0u) null else UiText(StringKey.HOME_TO_SETTLE, status.conflicts.toLong()),
            needsNewerApp = if (status.needsNewerApp == 0u) null else UiText(StringKey.HOME_NEEDS_NEWER_APP, status.needsNewerApp.toLong()),
            lastSyncMs = status.lastSyncMs?.toLong(),
        )
    } catch (e: FundiException) {
        HomeState(message = errorText(e))
    }
}
