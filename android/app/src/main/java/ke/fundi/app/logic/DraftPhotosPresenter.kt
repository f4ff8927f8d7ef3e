// State of the draft editor's photo section: the draft's photos in order (the first is the
// main one), adding (with progress while the core prepares the photo), reordering, making one
// the main photo, removing, and the coaching to show after an add. The core prepares and checks photos and keeps their order; this only turns its answers
// into what the screen shows. Calls block (an add decodes a camera photo): call them from a
// background thread.
package ke.fundi.app.logic

import uniffi.fundi.Advice
import uniffi.fundi.DraftPhoto
import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.FundiException
import uniffi.fundi.PhotoServiceInterface
import uniffi.fundi.isEditable
import uniffi.fundi.maxPhotosPerDraft

/** One photo as the editor lists it. */
data class PhotoTile(
    val hash: String,
    /** The small JPEG to show; the upload image is never decoded on the phone's screen. */
    val thumbnailPath: String,
    /** The main photo: the one the catalog shows first. Always the first tile. */
    val primary: Boolean,
    /** What the artisan could do better, one line each (shown under the thumbnail). */
    val advice: List<UiText>,
    val canMakePrimary: Boolean,
    val canRemove: Boolean,
    /** 0-based place in the draft's order (0 is the main photo). */
    val position: Int = 0,
    /** Whether it can move one place earlier / later (the buttons to reorder by). */
    val canMoveEarlier: Boolean = false,
    val canMoveLater: Boolean = false,
)

/**
 * Everything the photo section shows. `canAdd` is false for a draft that can no longer change;
 * a draft that is not saved yet can still add (the editor saves it first, see
 * [DraftEditorPresenter.saveForPhoto]). `coaching` holds the advice for a photo just added
 * (empty when it looks fine); `notice` is a short confirmation (a toast); `processing` is on
 * while a new photo is prepared (a second or more on a budget phone).
 */
data class PhotosState(
    val tiles: List<PhotoTile> = emptyList(),
    val canAdd: Boolean = true,
    val hint: UiText? = null,
    val message: UiText? = null,
    val coaching: List<UiText> = emptyList(),
    val notice: UiText? = null,
    /** A photo is being prepared (decoded, resized, checked): show progress, offer no add. */
    val processing: Boolean = false,
)

/** The coaching line for one piece of the core's advice. */
fun adviceText(advice: Advice): UiText = UiText(
    when (advice) {
        Advice.BLURRY -> StringKey.ADVICE_BLURRY
        Advice.TOO_DARK -> StringKey.ADVICE_TOO_DARK
        Advice.OVEREXPOSED -> StringKey.ADVICE_OVEREXPOSED
        Advice.TOO_SMALL -> StringKey.ADVICE_TOO_SMALL
    },
)

/**
 * The section while a new photo is prepared (a second or more on a budget phone): the photos as
 * they were, a progress line, and no add (one photo at a time). The add's answer ends it.
 */
fun PhotosState.preparing(): PhotosState = copy(
    canAdd = false,
    processing = true,
    hint = UiText(StringKey.PHOTO_PREPARING),
    message = null,
    coaching = emptyList(),
    notice = null,
)

class DraftPhotosPresenter(private val drafts: DraftServiceInterface, private val photos: PhotoServiceInterface) {

    /** The section for a draft that is not saved yet: nothing to list, adding saves first. */
    fun unsaved(): PhotosState = PhotosState(hint = UiText(StringKey.PHOTOS_SAVE_FIRST))

    /**
     * The photos of draft `id` (null: not saved yet); `editable` is the draft's own state (a
     * draft that could not be opened is neither saved nor editable: nothing to add to).
     */
    fun load(id: String?, editable: Boolean): PhotosState {
        if (id == null) return if (editable) unsaved() else PhotosState(canAdd = false)
        return try {
            shown(photos.draftPhotos(id), editable)
        } catch (e: FundiException) {
            PhotosState(canAdd = false, message = errorText(e))
        }
    }

    /**
     * Prepare the picture at `sourcePath` and add it to draft `id`. The state lists the
     * draft's photos and coaches on the new one. The caller deletes `sourcePath` afterwards:
     * the core keeps its own copy.
     */
    fun add(id: String, sourcePath: String): PhotosState {
        val added = try {
            photos.addDraftPhoto(id, sourcePath)
        } catch (e: FundiException) {
            // A refusal says why (a full draft, one sent for review): errorText reads its reason.
            return reloadWith(id, errorText(e))
        }
        val state = load(id, editable = true)
        return if (state.message != null) state
        else state.copy(coaching = added.advice.map(::adviceText), notice = UiText(StringKey.PHOTO_ADDED))
    }

    /**
     * The picked photo could not be copied for the core to read: the phone is full, or the
     * picture could not be opened (the app that offered it failed or took its permission back).
     */
    fun copyFailed(id: String, outOfSpace: Boolean): PhotosState =
        reloadWith(id, UiText(if (outOfSpace) StringKey.ERROR_STORAGE_FULL else StringKey.ERROR_PHOTO_UNREADABLE))

    /**
     * Move the photo `hash` to `position` (0 makes it the main photo; the core keeps the order
     * and clamps to the end). The notice says where it went, for TalkBack as much as the eye.
     */
    fun move(id: String, hash: String, position: Int): PhotosState = change(id) {
        photos.moveDraftPhoto(id, hash, position.coerceAtLeast(0).toUInt())
    }.let { state ->
        val at = state.tiles.indexOfFirst { it.hash == hash }
        if (state.message == null && at >= 0) state.copy(notice = UiText(StringKey.PHOTO_MOVED, (at + 1).toLong())) else state
    }

    /** Move a photo one place earlier (towards the main photo). */
    fun moveEarlier(id: String, tile: PhotoTile): PhotosState = move(id, tile.hash, tile.position - 1)

    /** Move a photo one place later. */
    fun moveLater(id: String, tile: PhotoTile): PhotosState = move(id, tile.hash, tile.position + 1)

    /** Make the photo `hash` the main one (it moves to the front). */
    fun makePrimary(id: String, hash: String): PhotosState = change(id) {
        photos.setPrimaryDraftPhoto(id, hash)
    }

    /** Take the photo `hash` off the draft; if it was the main one, the next takes its place. */
    fun remove(id: String, hash: String): PhotosState = change(id) {
        photos.removeDraftPhoto(id, hash)
    }.let { if (it.message == null) it.copy(notice = UiText(StringKey.PHOTO_REMOVED)) else it }

    private fun change(id: String, action: () -> List<DraftPhoto>): PhotosState = try {
        shown(action(), editable = true)
    } catch (e: FundiException) {
        reloadWith(id, errorText(e))
    }

    /** After a failed change: the photos as they are now, and what went wrong. */
    private fun reloadWith(id: String, message: UiText): PhotosState {
        val editable = try {
            isEditable(drafts.getDraft(id).status)
        } catch (e: FundiException) {
            return PhotosState(canAdd = false, message = message)
        }
        return load(id, editable).copy(message = message)
    }

    private fun shown(photos: List<DraftPhoto>, editable: Boolean): PhotosState {
        val ordered = photos.sortedBy { it.position }
        val full = ordered.size >= maxPhotosPerDraft().toInt()
        return PhotosState(
            tiles = ordered.mapIndexed { index, it ->
                PhotoTile(
                    hash = it.hash,
                    thumbnailPath = it.thumbPath,
                    primary = it.primary,
                    advice = it.advice.map(::adviceText),
                    canMakePrimary = editable && !it.primary,
                    canRemove = editable,
                    position = index,
                    canMoveEarlier = editable && index > 0,
                    canMoveLater = editable && index < ordered.size - 1,
                )
            },
            canAdd = editable && !full,
            hint = when {
                !editable -> null
                full -> UiText(StringKey.PHOTOS_FULL)
                ordered.isEmpty() -> UiText(StringKey.PHOTOS_EMPTY)
                else -> UiText(StringKey.PHOTOS_MAIN_HINT)
            },
        )
    }
}
