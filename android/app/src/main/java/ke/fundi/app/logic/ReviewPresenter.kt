// The mentor's screens: mentees' drafts to review with their photos (approve, or request
// changes with a note the artisan sees), and enrolling a new artisan (an account and its
// one-time code, shown large to be typed on the new phone). Which review commands a draft
// offers now is the core's table (ReviewDraft.commands); which photos are fetched, and when,
// is the core's review cache. Calls block on the database or the network.
package ke.fundi.app.logic

import uniffi.fundi.DraftCommand
import uniffi.fundi.FundiException
import uniffi.fundi.ReviewDraft
import uniffi.fundi.ReviewPhoto
import uniffi.fundi.ReviewPhotoServiceInterface
import uniffi.fundi.Role
import uniffi.fundi.SyncServiceInterface

data class ReviewAction(val command: DraftCommand, val label: StringKey, val asksNote: Boolean)

/**
 * One draft to review. `thumbnail`: the file of its main photo's thumbnail once fetched;
 * `photos`: how many it has, `onTheWay` of them not fetched yet ("photos on the way").
 */
data class ReviewRow(
    val id: String,
    val title: String,
    val status: StringKey,
    val actions: List<ReviewAction>,
    val thumbnail: String? = null,
    val photos: Int = 0,
    val onTheWay: Int = 0,
) {
    /** "2 photos", "2 photos, 1 on the way", or nothing for a draft without photos. */
    val photoNote: UiText?
        get() = when {
            photos == 0 -> null
            onTheWay == 0 -> UiText(StringKey.REVIEW_PHOTOS, photos.toLong())
            else -> UiText(StringKey.REVIEW_PHOTOS_ON_THE_WAY, photos.toLong(), onTheWay.toLong())
        }
}

/** A photo to show large: the photo itself when fetched, else its thumbnail. */
fun bestFileOf(photo: ReviewPhoto): String? = photo.full ?: photo.thumbnail

data class ReviewState(val rows: List<ReviewRow>, val message: UiText? = null, val notice: UiText? = null) {
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

/** A new artisan's code, as printed, and the text that goes with it; or why not. */
data class NewEnrollmentState(val code: String? = null, val expiresMs: Long = 0, val message: UiText? = null)

fun reviewActionOf(command: DraftCommand): ReviewAction = when (command) {
    DraftCommand.APPROVE -> ReviewAction(command, StringKey.REVIEW_APPROVE, asksNote = false)
    // Asking for changes says which: the note goes to the artisan.
    DraftCommand.REQUEST_CHANGES -> ReviewAction(command, StringKey.REVIEW_REQUEST_CHANGES, asksNote = true)
    DraftCommand.SUBMIT -> ReviewAction(command, StringKey.REVIEW_SUBMIT, asksNote = false)
    // Its artisan's only (the core never offers it to a reviewer); named for completeness.
    DraftCommand.REVISE -> ReviewAction(command, StringKey.REVIEW_REVISE, asksNote = false)
}

class ReviewPresenter(private val sync: SyncServiceInterface, private val photos: ReviewPhotoServiceInterface? = null) {

    /** Drafts waiting for this mentor first, then the others. */
    fun load(): ReviewState = try {
        ReviewState(sync.listReviewDrafts().sortedBy { it.commands.isEmpty() }.map(::row))
    } catch (e: FundiException) {
        ReviewState(emptyList(), errorText(e))
    }

    /**
     * Fetch the thumbnails the phone lacks (and the photos of drafts waiting for review, on an
     * `unmetered` network or with the data saver off: the core decides), then list. Run after
     * a sync. Being offline is not an error here: the rows say which photos are on the way.
     */
    fun fetchPhotos(unmetered: Boolean): ReviewState {
        val failed = try {
            photos?.fetch(unmetered)
            null
        } catch (e: FundiException) {
            if (e is FundiException.Offline) null else errorText(e)
        }
        return load().let { if (failed != null && it.message == null) it.copy(message = failed) else it }
    }

    /** The photos of one draft, in its order: what the mentor looks at before deciding. */
    fun photosOf(id: String): List<ReviewPhoto> = try {
        photos?.photos(id) ?: emptyList()
    } catch (e: FundiException) {
        emptyList()
    }

    fun review(id: String, command: DraftCommand, note: String?): ReviewState = try {
        sync.reviewDraft(id, command, note?.trim()?.ifEmpty { null })
        load().copy(notice = UiText(StringKey.REVIEW_QUEUED))
    } catch (e: FundiException) {
        load().copy(message = if (e is FundiException.NotAllowed) UiText(StringKey.REVIEW_NOT_NOW) else errorText(e))
    }

    /** Create a new artisan's account and one-time code (needs the depot). */
    fun enrollArtisan(name: String): NewEnrollmentState {
        if (name.isBlank()) return NewEnrollmentState(message = UiText(StringKey.ENROLL_NAME_REQUIRED))
        return try {
            val code = sync.createEnrollment(Role.ARTISAN, name.trim())
            NewEnrollmentState(code = code.code, expiresMs = code.expiresMs.toLong())
        } catch (e: FundiException) {
            NewEnrollmentState(message = if (e is FundiException.Offline) UiText(StringKey.ENROLL_NEEDS_DEPOT) else errorText(e))
        }
    }

    private fun row(d: ReviewDraft): ReviewRow {
        val shown = photosOf(d.id)
        return ReviewRow(
            d.id, d.title, stateKey(d.status), d.commands.map(::reviewActionOf),
            thumbnail = shown.firstOrNull()?.thumbnail,
            photos = shown.size,
            onTheWay = shown.count { it.thumbnail == null },
        )
    }
}
