// The process-wide objects: the phone's one open database and the services taken from it (drafts,
// photos) and the background worker. Activities come and go (rotation, the system killing them);
// these live as long as the process.
package ke.fundi.app

import android.app.Application
import android.os.Handler
import android.os.Looper
import java.io.File
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import ke.fundi.app.logic.uiLanguageFor
import uniffi.fundi.DraftService
import uniffi.fundi.FundiException
import uniffi.fundi.FundiPhone
import uniffi.fundi.Language
import uniffi.fundi.PhotoLibrary
import uniffi.fundi.PhotoService

class FundiApp : Application() {

    /** One thread for database work: SQLite has one writer, and ordering stays simple. */
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()
    private val main = Handler(Looper.getMainLooper())

    @Volatile
    private var phone: FundiPhone? = null

    /**
     * The phone's database, opened once on first use (on the worker thread): every service
     * below shares its one connection. It lives in noBackupFilesDir: never copied by backups
     * (see also the manifest's backup rules).
     */
    @Throws(FundiException::class)
    fun phone(): FundiPhone {
        phone?.let { return it }
        synchronized(this) {
            phone?.let { return it }
            val opened = FundiPhone.open(File(noBackupFilesDir, "fundi.db").path)
            phone = opened
            return opened
        }
    }

    @Volatile
    private var drafts: DraftService? = null

    /** The drafts service of [phone]. */
    @Throws(FundiException::class)
    fun drafts(): DraftService {
        drafts?.let { return it }
        synchronized(this) {
            drafts?.let { return it }
            val service = phone().drafts()
            drafts = service
            return service
        }
    }

    @Volatile
    private var photos: PhotoService? = null

    /**
     * Draft photos: the photo directory (filesDir/photos: private to the app and excluded from
     * backups like all its files) over [phone]'s database, opened on first use (on the worker
     * thread).
     */
    @Throws(FundiException::class)
    fun photos(): PhotoService {
        photos?.let { return it }
        synchronized(this) {
            photos?.let { return it }
            val service = phone().photos(PhotoLibrary.open(File(filesDir, "photos").path))
            try {
                // Once per process: files of deleted drafts and of adds cut short by a kill.
                service.collectPhotoGarbage()
            } catch (e: FundiException) {
                // Only housekeeping: the photos themselves are fine; the next start sweeps again.
            }
            photos = service
            return service
        }
    }

    /** The core's language for the current configuration. */
    fun language(): Language {
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
