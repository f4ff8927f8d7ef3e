// State of the draft editor: turning what was typed into the core's inputs, and the core's
// answers (records or FundiException) into what the screen shows. Calls block on the
// database: call them from a background thread.
package ke.fundi.app.logic

import uniffi.fundi.Category
import uniffi.fundi.Draft
import uniffi.fundi.DraftField
import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.canRevise
import uniffi.fundi.firstFieldInError
import uniffi.fundi.formatKes
import uniffi.fundi.isEditable
import uniffi.fundi.newDraftId
import uniffi.fundi.productCategories
import uniffi.fundi.readDraftForm

/**
 * The editor's fields as the user typed them. `category` is null while the blank "choose a
 * category" entry is selected: the core then refuses the form with "category required".
 */
data class DraftForm(
    val title: String = "",
    val description: String = "",
    val materials: String = "",
    val category: Category? = null,
    val price: String = "",
    val weeklyCapacity: String = "",
)

/** Where a new photo comes from: the camera app, or a picture already on the phone. */
enum class PhotoSource { CAMERA, GALLERY }

/**
 * Everything the editor screen shows.
 *
 * `draftId` is chosen before the first save (the core's `newDraftId`) and kept in the screen's
 * saved state, so a save after a rotation or after the app was killed updates that draft
 * instead of making a second one; `saved` says whether the core holds it yet. `savedForm` is
 * the form as the core holds it (the blank form before the first save): leaving with another
 * form on screen saves it first. `reviewNote` is the mentor's note on a draft sent back.
 * After a refused save, `firstError` is the field to scroll to, focus and announce.
 * `notice` is a short confirmation (a toast); `finished` asks the screen to close;
 * `pickPhoto` asks it to open the camera or the picker (the draft is now saved);
 * `askDiscard` asks the user, who is leaving, whether to drop the changes the core refused.
 * `canRevise`: the core lets her make a new version of this approved product ("Make a new
 * version", with its explanation: the approved version stays on sale until the new one is
 * approved).
 */
data class EditorState(
    val draftId: String,
    val saved: Boolean,
    val form: DraftForm,
    val savedForm: DraftForm = form,
    val editable: Boolean = true,
    val canRevise: Boolean = false,
    val state: StringKey? = null,
    val reviewNote: String? = null,
    val fieldErrors: Map<DraftField, UiText> = emptyMap(),
    val firstError: DraftField? = null,
    val message: UiText? = null,
    val notice: UiText? = null,
    val finished: Boolean = false,
    val pickPhoto: PhotoSource? = null,
    val askDiscard: Boolean = false,
) {
    /** Whether what is on screen differs from what the core holds (nothing to lose if not). */
    fun changed(onScreen: DraftForm): Boolean = editable && onScreen != savedForm
}

class DraftEditorPresenter(private val drafts: DraftServiceInterface, private val language: Language) {

    /** Categories in the order the core lists them (the spinner's order, after its blank entry). */
    val categories: List<Category> = productCategories()

    /** A new draft: its id chosen now, nothing saved, no category chosen. */
    fun blank(): EditorState = blank(newDraftId())

    private fun blank(id: String) = EditorState(draftId = id, saved = false, form = DraftForm())

    /**
     * The draft `id`. `neverSaved`: the screen chose this id and had not seen a save return
     * (it may have been killed during the first one): a draft the core does not hold is then a
     * blank new one under that id, not an error.
     */
    fun load(id: String, neverSaved: Boolean = false): EditorState = try {
        fromRecord(drafts.getDraft(id))
    } catch (e: FundiException.NotFound) {
        if (neverSaved) blank(id) else blank(id).copy(editable = false, message = errorText(e))
    } catch (e: FundiException) {
        blank(id).copy(editable = false, message = errorText(e))
    }

    /** Save the form under the draft's id: created the first time, changed after. */
    fun save(current: EditorState, form: DraftForm): EditorState {
        val saved = write(current, form)
        return saved.record?.let { fromRecord(it).copy(notice = UiText(StringKey.SAVED)) } ?: saved.rejected!!
    }

    /**
     * "Take photo" or "Choose photo" on a draft: photos belong to a saved draft, so save what
     * is on screen first and, if the core accepts it, go on to the camera or the picker. If it
     * does not, the fields show why and nothing opens.
     */
    fun saveForPhoto(current: EditorState, form: DraftForm, source: PhotoSource): EditorState {
        if (current.saved && !current.changed(form)) return current.copy(form = form, notice = null, pickPhoto = source)
        val saved = save(current, form)
        return if (saved.saved && saved.fieldErrors.isEmpty() && saved.message == null) saved.copy(pickPhoto = source) else saved
    }

    /** Save what is on screen, then send it for review. */
    fun submit(current: EditorState, form: DraftForm): EditorState {
        val saved = write(current, form)
        val record = saved.record ?: return saved.rejected!!
        return try {
            fromRecord(drafts.submitDraft(record.id)).copy(notice = UiText(StringKey.SUBMITTED), finished = true)
        } catch (e: FundiException) {
            fromRecord(record).copy(message = errorText(e))
        }
    }

    /**
     * The user leaves the screen (back, up): nothing is lost silently. Unchanged: close. Changed:
     * save and close; if the core refuses, show why and ask whether to drop the changes.
     */
    fun leave(current: EditorState, form: DraftForm): EditorState {
        if (!current.changed(form)) return current.copy(form = form, notice = null, finished = true)
        val saved = save(current, form)
        return if (saved.fieldErrors.isEmpty() && saved.message == null) saved.copy(finished = true)
        else saved.copy(askDiscard = true)
    }

    /**
     * The screen goes to the background (home button, another app, the camera): save quietly
     * what changed, so an app swiped away later keeps it. A form the core refuses stays on
     * screen (and in the screen's saved state) without a message popping up unasked.
     */
    fun autosave(current: EditorState, form: DraftForm): EditorState {
        if (!current.changed(form)) return current
        val saved = write(current, form)
        return saved.record?.let { fromRecord(it) } ?: current
    }

    /**
     * "Make a new version" of an approved product: the draft is editable again (it goes through
     * review again) while the approved version stays on sale. Refused (no longer approved,
     * say), the screen shows why.
     */
    fun revise(current: EditorState): EditorState = try {
        fromRecord(drafts.reviseDraft(current.draftId)).copy(notice = UiText(StringKey.REVISED))
    } catch (e: FundiException) {
        current.copy(message = errorText(e), notice = null)
    }

    fun delete(current: EditorState, form: DraftForm): EditorState = try {
        drafts.deleteDraft(current.draftId)
        current.copy(form = form, notice = UiText(StringKey.DELETED), finished = true)
    } catch (e: FundiException) {
        current.copy(form = form, message = errorText(e))
    }

    private class Written(val record: Draft?, val rejected: EditorState?)

    private fun write(current: EditorState, form: DraftForm): Written {
        fun rejected(errors: Map<DraftField, UiText>, first: DraftField?, message: UiText) = Written(
            null,
            current.copy(form = form, fieldErrors = errors, firstError = first, message = message, notice = null),
        )

        // The core reads the typed form and names every field it cannot accept, all at once.
        return try {
            val d = readDraftForm(
                uniffi.fundi.DraftForm(form.title, form.description, form.materials, form.category, form.price, form.weeklyCapacity),
            )
            Written(drafts.saveDraft(current.draftId, d), null)
        } catch (e: FundiException.InvalidInput) {
            rejected(fieldErrors(e, language), firstFieldInError(e.issues), errorText(e))
        } catch (e: FundiException) {
            rejected(emptyMap(), null, errorText(e))
        }
    }

    private fun fromRecord(r: Draft): EditorState {
        val editable = isEditable(r.status)
        val form = DraftForm(
            title = r.title,
            description = r.description,
            materials = r.materials.joinToString(", "),
            category = r.category,
            price = formatKes(r.price.minor, language),
            weeklyCapacity = r.weeklyCapacity.toString(),
        )
        // The note matters while the draft is sent back; an old one is not shown after.
        val note = if (r.status != DraftStatus.CHANGES_REQUESTED) null else try {
            drafts.reviewNote(r.id)
        } catch (e: FundiException) {
            null
        }
        return EditorState(
            draftId = r.id,
            saved = true,
            form = form,
            editable = editable,
            canRevise = canRevise(r.status),
            state = stateKey(r.status),
            reviewNote = note,
            message = when {
                editable -> null
                r.status == DraftStatus.APPROVED -> UiText(StringKey.APPROVED_NOTE)
                else -> UiText(StringKey.READ_ONLY_NOTE)
            },
        )
    }
}
