// What a background sync does, without android.* (the JobScheduler job runs it on the worker):
// the records, then the photos that wait (thumbnails always, full photos as the core's data
// saver rule allows on this network), then for a reviewer the photos she lacks; and which
// orders now wait for the artisan that did not before, for one notification. Whether the job
// should be tried again later (no depot in reach) or not (not enrolled, credential refused).
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.PhotoServiceInterface
import uniffi.fundi.ReviewPhotoServiceInterface
import uniffi.fundi.SyncServiceInterface

/** The products of orders that now wait for her and did not before; and whether to retry later. */
data class BackgroundOutcome(val newOrders: List<String>, val retry: Boolean)

/** The notification's text for new orders, or null when there are none. */
fun newOrdersText(newOrders: List<String>): UiText? = when (newOrders.size) {
    0 -> null
    1 -> UiText(StringKey.NOTIFY_NEW_ORDER, newOrders.single())
    else -> UiText(StringKey.NOTIFY_NEW_ORDERS, newOrders.size.toLong())
}

class BackgroundSync(
    private val sync: SyncServiceInterface,
    private val photos: PhotoServiceInterface?,
    private val reviewPhotos: ReviewPhotoServiceInterface?,
    private val unmetered: Boolean,
) {
    private fun waitingForHer(): Map<String, String> =
        sync.listOrders().filter { it.commands.isNotEmpty() }.associate { it.id to it.product }

    fun run(): BackgroundOutcome {
        val before = try {
            if (!sync.syncStatus().enrolled) return BackgroundOutcome(emptyList(), retry = false)
            waitingForHer()
        } catch (e: FundiException) {
            return BackgroundOutcome(emptyList(), retry = true)
        }
        try {
            sync.syncNow(null)
        } catch (e: FundiException) {
            // A refused credential, a token the keystore can no longer open, or a lost enrollment
            // waits for the user (retrying would loop); anything else (no depot in reach, a full
            // disk) is tried again with the job's backoff.
            val forUser = e is FundiException.Unauthorized || e is FundiException.CredentialLost ||
                e is FundiException.NotEnrolled
            return BackgroundOutcome(emptyList(), retry = !forUser)
        }
        // The records are at the depot: photos failing here go at the next sync, no retry.
        try {
            photos?.uploadPhotos(unmetered)
        } catch (e: FundiException) {
        }
        try {
            reviewPhotos?.fetch(unmetered)
        } catch (e: FundiException) {
        }
        val after = try {
            waitingForHer()
        } catch (e: FundiException) {
            emptyMap()
        }
        return BackgroundOutcome(after.filterKeys { it !in before }.values.toList(), retry = false)
    }
}
