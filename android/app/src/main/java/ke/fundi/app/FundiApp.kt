// The process-wide objects: the one open database, the photo library and the background worker. Activities come
// and go (rotation, the system killing them); these live as long as the process.
package ke.fundi.app

import android.app.Application
import android.os.Handler
import android.os.Looper
import java.io.File
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import ke.fundi.app.logic.uiLanguageFor
import uniffi.fundi.DraftStore
import uniffi.fundi.FundiException
import uniffi.fundi.PhotoLibrary
import uniffi.fundi.UiLanguage

class FundiApp : Application() {

    /** One thread for database work: SQLite has one writer, and ordering stays simple. */
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()
    private val main = Handler(Looper.getMainLooper())

    @Volatile
    private var store: DraftStore? = null

    /**
     * The drafts database, opened on first use (on the worker thread). It lives in
     * noBackupFilesDir: never copied by backups (see also the manifest's backup rules).
     */
    @Throws(FundiException::class)
    fun drafts(): DraftStore {
        store?.let { return it }
        synchronized(this) {
            store?.let { return it }
            val opened = DraftStore.open(File(noBackupFilesDir, "fundi.db").path)
            store = opened
            return opened
        }
    }

    @Volatile
    private var photos: PhotoLibrary? = null

    /**
     * The directory of draft photos, opened on first use (on the worker thread). It lives in
     * filesDir/photos: private to the app and excluded from backups like all its files.
     */
    @Throws(FundiException::class)
    fun photoLibrary(): PhotoLibrary {
        photos?.let { return it }
        synchronized(this) {
            photos?.let { return it }
            val opened = PhotoLibrary.open(File(filesDir, "photos").path)
            try {
                // Once per process: files of deleted drafts and of adds cut short by a kill.
                drafts().collectPhotoGarbage(opened)
            } catch (e: FundiException) {
                // Only housekeeping: the photos themselves are fine; the next start sweeps again.
            }
            photos = opened
            return opened
        }
    }

    /** The core's language for the current configuration. */
    fun language(): UiLanguage {
        val locales = resources.configuration.locales
        return uiLanguageFor(if (locales.isEmpty) "en" else locales.get(0).toLanguageTag())
    }

    /**
     * Run [work] on the database thread and hand its result to [done] on the main thread.
     * [done] is skipped when [stillWanted] says the screen is gone.
     */
    fun <T> background(work: () -> T, stillWanted: () -> Boolean, done: (T) -> Unit) {
        worker.execute {
            val result = work()
            main.post { if (stillWanted()) done(result) }
        }
    }
}
