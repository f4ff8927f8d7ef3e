// The process-wide objects: the phone's one open database and the services taken from it (drafts,
// photos, sync), the background worker, "Sync now" (SyncController: its progress outlives a
// rotated screen), and the few settings kept in SharedPreferences (language, depot address,
// whether the depot refused this phone's credential). Activities come and go (rotation, the
// system killing them); these live as long as the process.
package ke.fundi.app

import android.app.Application
import android.content.Context
import android.content.SharedPreferences
import android.net.ConnectivityManager
import android.os.Handler
import android.os.Looper
import java.io.File
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import ke.fundi.app.logic.AppLanguage
import ke.fundi.app.logic.DEMO_DEPOT_URL
import ke.fundi.app.logic.SyncController
import uniffi.fundi.DraftService
import uniffi.fundi.FundiException
import uniffi.fundi.FundiPhone
import uniffi.fundi.Language
import uniffi.fundi.PhotoLibrary
import uniffi.fundi.PhotoService
import uniffi.fundi.ReviewPhotoService
import uniffi.fundi.SyncService

class FundiApp : Application() {

    /** One thread for database work: SQLite has one writer, and ordering stays simple. */
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()
    private val main = Handler(Looper.getMainLooper())

    @Volatile
    private var phone: FundiPhone? = null

    /**
     * The phone's database, opened once on first use (on the worker thread): every service
     * below shares its one connection. It lives in noBackupFilesDir: never copied by backups
     * (see also the manifest's backup rules). The device token in it is sealed by the Android
     * Keystore's key (KeystoreTokenVault): always opened with the vault, never without.
     */
    @Throws(FundiException::class)
    fun phone(): FundiPhone {
        phone?.let { return it }
        synchronized(this) {
            phone?.let { return it }
            val opened = FundiPhone.openWithVault(File(noBackupFilesDir, "fundi.db").path, keystoreTokenVault())
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

    @Volatile
    private var reviewPhotos: ReviewPhotoService? = null

    /**
     * Photos of the drafts this phone reviews (mentors, staff): a bounded cache in the app's
     * cache directory (cacheDir/review-photos; the system may empty it, the core fetches again).
     */
    @Throws(FundiException::class)
    fun reviewPhotos(): ReviewPhotoService {
        reviewPhotos?.let { return it }
        synchronized(this) {
            reviewPhotos?.let { return it }
            val service = phone().reviewPhotos(PhotoLibrary.open(File(cacheDir, REVIEW_CACHE_DIR).path))
            reviewPhotos = service
            return service
        }
    }


    @Volatile
    private var sync: SyncService? = null

    /** Enrollment, sync, orders, stock, conflicts and review: the sync service of [phone]. */
    @Throws(FundiException::class)
    fun sync(): SyncService {
        sync?.let { return it }
        synchronized(this) {
            sync?.let { return it }
            val service = phone().sync()
            sync = service
            return service
        }
    }

    /** "Sync now" for every screen: one sync at a time on the worker. */
    val syncController: SyncController by lazy {
        SyncController(
            runInBackground = { worker.execute(it) },
            post = { main.post(it) },
            service = { sync() },
            photos = { photos() },
            unmetered = { unmetered() },
            onDepotNetwork = { sync -> DepotNetwork.bound(this) { sync() } },
        )
    }

    /**
     * Whether the phone's network costs nothing per byte (Wi-Fi), as Android says; false when
     * unsure. The core decides with it and the data saver what uploads send.
     */
    fun unmetered(): Boolean {
        val connectivity = getSystemService(ConnectivityManager::class.java) ?: return false
        return connectivity.activeNetwork != null && !connectivity.isActiveNetworkMetered
    }

    val prefs: SharedPreferences get() = getSharedPreferences(PREFS, Context.MODE_PRIVATE)

    /** The language chosen in the app, or else the phone's. */
    fun appLanguage(): AppLanguage {
        val chosen = prefs.getString(PREF_LANGUAGE, null)
        if (chosen != null) return AppLanguage.of(chosen)
        val locales = resources.configuration.locales
        return AppLanguage.of(if (locales.isEmpty) "en" else locales.get(0).toLanguageTag())
    }

    /** Whether the user ever chose a language (first run asks once). */
    fun languageChosen(): Boolean = prefs.contains(PREF_LANGUAGE)

    fun setAppLanguage(language: AppLanguage) {
        prefs.edit().putString(PREF_LANGUAGE, language.tag).apply()
    }

    /** The core's language for the app's language. */
    fun language(): Language = appLanguage().core

    /** The depot address to enroll with: the last one typed, or the demo depot's. */
    fun depotUrl(): String = prefs.getString(PREF_DEPOT_URL, null) ?: DEMO_DEPOT_URL

    fun setDepotUrl(url: String) {
        prefs.edit().putString(PREF_DEPOT_URL, url.trim()).apply()
    }

    /** The depot refused this phone's credential (revoked, expired): enroll again. */
    var credentialRefused: Boolean
        get() = prefs.getBoolean(PREF_CREDENTIAL_REFUSED, false)
        set(value) {
            prefs.edit().putBoolean(PREF_CREDENTIAL_REFUSED, value).apply()
        }

    /**
     * Sign out: close the database and delete this user's data (the database and its photos),
     * so that the next user of a shared phone starts clean. The screen showed what was not
     * synced first. Runs on the worker thread; the language and depot address stay.
     */
    fun signOut() {
        synchronized(this) {
            try {
                phone?.closeDatabase()
            } catch (e: FundiException) {
                // Already closed or never opened: the files go all the same.
            }
            phone = null
            drafts = null
            photos = null
            reviewPhotos = null
            sync = null
            for (name in listOf("fundi.db", "fundi.db-wal", "fundi.db-shm", "fundi.db-journal")) {
                File(noBackupFilesDir, name).delete()
            }
            File(filesDir, "photos").deleteRecursively()
            File(cacheDir, REVIEW_CACHE_DIR).deleteRecursively()
            credentialRefused = false
        }
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

    /**
     * As [background], but any Throwable from [work] (a panic across the FFI, a library that
     * did not load, an exception the presenter did not expect) is handed to [failed] on the
     * main thread instead of ending the process.
     */
    fun <T> guarded(work: () -> T, stillWanted: () -> Boolean, failed: (Throwable) -> Unit, done: (T) -> Unit) {
        worker.execute {
            val result = try {
                Result.success(work())
            } catch (e: Throwable) {
                Result.failure<T>(e)
            }
            main.post {
                if (stillWanted()) result.fold(done, failed)
            }
        }
    }

    companion object {
        const val PREFS = "fundi"
        const val PREF_LANGUAGE = "language"
        private const val PREF_DEPOT_URL = "depot_url"
        private const val REVIEW_CACHE_DIR = "review-photos"
        private const val PREF_CREDENTIAL_REFUSED = "credential_refused"
    }
}
