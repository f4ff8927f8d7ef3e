// Settings: the app's language (Kiswahili or English, applied in the app whatever the phone's
// language), the depot address used to enroll, the data saver (kept by the core, which decides
// with it what uploads send), and signing out, which first shows what has not reached the
// depot (signing out wipes this phone's copy: on a shared phone the next user starts clean).
// Calls block on the database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.ReviewPhotoServiceInterface
import uniffi.fundi.Role
import uniffi.fundi.SyncServiceInterface

/** The languages the app speaks, with the language tag its resources use. */
enum class AppLanguage(val tag: String, val label: StringKey, val core: Language) {
    SWAHILI("sw", StringKey.LANGUAGE_SWAHILI, Language.SWAHILI),
    ENGLISH("en", StringKey.LANGUAGE_ENGLISH, Language.ENGLISH);

    companion object {
        /** The language for a stored or system tag ("sw-KE" is Kiswahili; anything else English). */
        fun of(tag: String?): AppLanguage = if (tag != null && uiLanguageFor(tag) == Language.SWAHILI) SWAHILI else ENGLISH
    }
}

/**
 * What signing out would lose: each line a kind of change not yet at the depot. `safe` when
 * there is none (the confirmation still asks).
 */
data class SignOutSummary(val lines: List<UiText>, val message: UiText? = null) {
    val safe: Boolean get() = lines.isEmpty() && message == null
}

/** The data saver as the screen shows it: on or off, and what that means for photos. */
data class DataSaverState(val on: Boolean, val note: UiText, val message: UiText? = null)

/**
 * What the app keeps on the phone: the total and its parts, and the mentees' photos kept for
 * review (null for a phone that reviews none), which can be cleared: they are fetched again.
 */
data class StorageState(val used: UiText, val reviewPhotos: UiText?, val canClearReviewPhotos: Boolean)

class SettingsPresenter(private val sync: SyncServiceInterface, private val reviewPhotos: ReviewPhotoServiceInterface? = null) {

    /** `databaseBytes`, `photoBytes`: the sizes of the app's files as the platform measures them. */
    fun storage(databaseBytes: Long, photoBytes: Long): StorageState {
        val reviews = try {
            sync.syncStatus().role.let { it == Role.MENTOR || it == Role.STAFF }
        } catch (e: FundiException) {
            false
        }
        val review = try {
            if (reviews) reviewPhotos?.status()?.bytes?.toLong() ?: 0L else 0L
        } catch (e: FundiException) {
            0L
        }
        val total = databaseBytes + photoBytes + review
        return StorageState(
            used = UiText(StringKey.STORAGE_USED, sizeText(total.toULong()), sizeText(databaseBytes.toULong()), sizeText(photoBytes.toULong())),
            reviewPhotos = if (reviewPhotos == null || !reviews) null else UiText(StringKey.STORAGE_REVIEW_PHOTOS, sizeText(review.toULong())),
            canClearReviewPhotos = review > 0,
        )
    }

    /** Empty the review photo cache (they are fetched again at the next sync). */
    fun clearReviewPhotos(databaseBytes: Long, photoBytes: Long): StorageState {
        try {
            reviewPhotos?.clear()
        } catch (e: FundiException) {
        }
        return storage(databaseBytes, photoBytes)
    }

    private fun dataSaverState(on: Boolean) =
        DataSaverState(on, UiText(if (on) StringKey.DATA_SAVER_ON_NOTE else StringKey.DATA_SAVER_OFF_NOTE))

    fun dataSaver(): DataSaverState = try {
        dataSaverState(sync.syncStatus().dataSaver)
    } catch (e: FundiException) {
        dataSaverState(true).copy(message = errorText(e))
    }

    /** Turn the data saver on or off; the state as stored afterwards. */
    fun setDataSaver(on: Boolean): DataSaverState = try {
        sync.setDataSaver(on)
        dataSaver()
    } catch (e: FundiException) {
        dataSaverState(!on).copy(message = errorText(e))
    }

    fun signOutSummary(): SignOutSummary = try {
        val status = sync.syncStatus()
        val lines = mutableListOf<UiText>()
        if (status.pending > 0u) lines += UiText(StringKey.SIGN_OUT_PENDING, status.pending.toLong())
        if (status.wedged > 0u) lines += UiText(StringKey.SIGN_OUT_REFUSED, status.wedged.toLong())
        val fieldConflicts = status.conflicts.toLong() - status.wedged.toLong()
        if (fieldConflicts > 0) lines += UiText(StringKey.SIGN_OUT_CONFLICTS, fieldConflicts)
        SignOutSummary(lines)
    } catch (e: FundiException) {
        SignOutSummary(emptyList(), errorText(e))
    }
}
