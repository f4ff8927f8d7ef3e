// "Sync now", for the whole process: one sync at a time on the worker, its progress kept here
// (not in a screen) so that a rotated or recreated screen shows the sync still running and its
// outcome. After the records, the photos that wait are sent (thumbnails always; full photos
// when the core's data saver rule allows them on this network), with their progress in bytes. Progress comes from the core's SyncListener on the worker thread and is handed to
// the observers on the main thread through `post`. Every Throwable (a panic across the FFI, a
// library that fails to load) becomes a message, never a crash.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.PhotoServiceInterface
import uniffi.fundi.UploadListener
import uniffi.fundi.UploadProgress
import uniffi.fundi.SyncListener
import uniffi.fundi.SyncPhase
import uniffi.fundi.SyncReport
import uniffi.fundi.SyncServiceInterface

/** Where "Sync now" stands. `outcome` is the last finished sync's message. */
data class SyncProgress(
    val running: Boolean = false,
    /** What the progress line says while running ("Sending 3 of 5"), null when idle. */
    val step: UiText? = null,
    /** Progress bar: done of total, or total 0 when the end is not known (pulling). */
    val done: Int = 0,
    val total: Int = 0,
    val outcome: UiText? = null,
    /** A second line for the outcome: changes the depot refused ("see Conflicts"). */
    val refusedNote: UiText? = null,
    /** The depot refused this phone's credential (revoked or expired): enroll again. */
    val credentialRefused: Boolean = false,
)

/** The progress line for one report of the core's listener. */
fun progressText(phase: SyncPhase, done: Int, total: Int): UiText = when (phase) {
    SyncPhase.PUSHING -> UiText(StringKey.SYNC_SENDING, done.toLong(), total.toLong())
    SyncPhase.PULLING -> UiText(StringKey.SYNC_RECEIVING, done.toLong())
    SyncPhase.DONE -> UiText(StringKey.SYNC_FINISHING)
}

/** The outcome of a finished sync. */
fun syncDoneText(report: SyncReport): Pair<UiText, UiText?> {
    val done = UiText(StringKey.SYNC_DONE, report.pushed.toLong(), report.pulled.toLong())
    val refused = if (report.refused == 0u) null else UiText(StringKey.SYNC_REFUSED, report.refused.toLong())
    return done to refused
}

/** A failed sync in the user's terms; the second value says the credential was refused. */
fun syncFailureText(e: Throwable): Pair<UiText, Boolean> = when (e) {
    is FundiException.Offline -> UiText(StringKey.SYNC_OFFLINE) to false
    is FundiException.Unauthorized -> UiText(StringKey.SYNC_CREDENTIAL_REFUSED) to true
    // The keystore's key is gone or changed (reset, data on another phone): enroll again too.
    is FundiException.CredentialLost -> UiText(StringKey.SYNC_CREDENTIAL_LOST) to true
    is FundiException.NotEnrolled -> UiText(StringKey.ERROR_NOT_ENROLLED) to true
    is FundiException -> errorText(e) to false
    else -> UiText(StringKey.ERROR_INTERNAL) to false
}

class SyncController(
    /** Runs work on the one worker thread. */
    private val runInBackground: (Runnable) -> Unit,
    /** Runs on the main thread (the observers are called there only). */
    private val post: (Runnable) -> Unit,
    /** The sync service, opened on first use on the worker (may throw). */
    private val service: () -> SyncServiceInterface,
    /** The photo service whose queue is sent after the records (none: records only). */
    private val photos: (() -> PhotoServiceInterface)? = null,
    /** Whether the network is unmetered now, as the platform says. */
    private val unmetered: () -> Boolean = { false },
    /** Runs the sync on the network the depot is on (the depot's Wi-Fi without internet). */
    private val onDepotNetwork: (() -> Unit) -> Unit = { it() },
) {
    @Volatile
    var state: SyncProgress = SyncProgress()
        private set

    private val observers = LinkedHashSet<(SyncProgress) -> Unit>()

    /** Called on the main thread with the current state now, then with every change. */
    fun observe(observer: (SyncProgress) -> Unit) {
        observers += observer
        observer(state)
    }

    fun stopObserving(observer: (SyncProgress) -> Unit) {
        observers -= observer
    }

    private fun publish(next: SyncProgress) {
        state = next
        post(Runnable { observers.toList().forEach { it(next) } })
    }

    /**
     * The screen acted on a refused credential (remembered it, sent the user to enroll): later
     * screens need not act on it again.
     */
    fun credentialRefusalHandled() {
        if (state.credentialRefused) state = state.copy(credentialRefused = false)
    }

    /** Start a sync unless one is running; true if this call started it. Main thread. */
    fun start(): Boolean {
        if (state.running) return false
        publish(SyncProgress(running = true, step = UiText(StringKey.SYNC_STARTING)))
        runInBackground(Runnable { onDepotNetwork { run() } })
        return true
    }

    private fun run() {
        val listener = object : SyncListener {
            override fun onProgress(phase: SyncPhase, done: UInt, total: UInt) {
                publish(state.copy(step = progressText(phase, done.toInt(), total.toInt()), done = done.toInt(), total = total.toInt()))
            }
        }
        val finished = try {
            val (done, refused) = syncDoneText(service().syncNow(listener))
            SyncProgress(outcome = done, refusedNote = refused ?: sendPhotos())
        } catch (e: Throwable) {
            val (text, refused) = syncFailureText(e)
            SyncProgress(outcome = text, credentialRefused = refused)
        }
        publish(finished)
    }

    /**
     * Send the photos that wait, the progress line in kilobytes. The records are at the depot
     * already: a failure here only says the photos go at the next sync.
     */
    private fun sendPhotos(): UiText? {
        val service = photos ?: return null
        val listener = object : UploadListener {
            override fun onUploadProgress(progress: UploadProgress) {
                val done = (progress.overallDone / 1024u).toLong()
                val total = (progress.overallTotal / 1024u).toLong()
                publish(state.copy(step = UiText(StringKey.SYNC_SENDING_PHOTOS, done, total), done = done.toInt(), total = total.toInt()))
            }
        }
        return try {
            service().uploadPhotos(unmetered(), listener)
            null
        } catch (e: Throwable) {
            if (e is FundiException.Unauthorized || e is FundiException.CredentialLost) throw e
            UiText(StringKey.SYNC_PHOTOS_LATER)
        }
    }
}
