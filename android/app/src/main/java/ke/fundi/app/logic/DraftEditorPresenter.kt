// State of the draft editor: turning what was typed into the core's inputs, and the core's
// answers (records or FundiException) into what the screen shows. Calls block on the
// database: call them from a background thread.
package ke.fundi.app.logic

import uniffi.fundi.Category
import uniffi.fundi.Draft
import uniffi.fundi.DraftField
import uniffi.fundi.DraftPatch
import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.formatKes
import uniffi.fundi.isEditable
import uniffi.fundi.productCategories
import uniffi.fundi.readDraftForm

/**
 * The editor's fields as the user typed them, with a category always chosen (the core's
 * `uniffi.fundi.DraftForm`, which this becomes, allows none).
 */
data class DraftForm(
    val title: String = "",
    val description: String = "",
    val materials: String = "",
    val category: Category,
    val price: String = "",
    val weeklyCapacity: String = "",
)

/**
 * Everything the editor screen shows. `draftId` is null until the draft is first saved.
 * `notice` is a short confirmation (a toast); `finished` asks the screen to close;
 * `pickPhoto` asks it to open the photo picker (the draft now has an id to add photos to).
 */
data class EditorState(
    val draftId: String?,
    val form: DraftForm,
    val editable: Boolean = true,
    val state: StringKey? = null,
    val fieldErrors: Map<DraftField, UiText> = emptyMap(),
    val message: UiText? = null,
    val notice: UiText? = null,
    val finished: Boolean = false,
    val pickPhoto: Boolean = false,
)

class DraftEditorPresenter(private val drafts: DraftServiceInterface, private val language: Language) {

    /** Categories in the order the core lists them (the spinner's order). */
    val categories: List<Category> = productCategories()

    fun blank(): EditorState = EditorState(draftId = null, form = DraftForm(category = categories.first()))

    fun load(id: String): EditorState = try {
        fromRecord(drafts.getDraft(id))
    } catch (e: FundiException) {
        blank().copy(draftId = id, editable = false, message = errorText(e))
    }

    /** Create or update the draft from the form. */
    fun save(id: String?, form: DraftForm): EditorState {
        val saved = write(id, form)
        return if (saved.record != null) fromRecord(saved.record).copy(notice = UiText(StringKey.SAVED))
        else saved.rejected!!
    }

    /**
     * "Add photo" on a draft that was never saved: photos belong to a saved draft, so save it
     * first and, if the core accepts the form, go on to pick the photo. If it does not, the
     * fields show why and no picker opens.
     */
    fun saveForPhoto(form: DraftForm): EditorState {
        val saved = save(null, form)
        return if (saved.draftId != null && saved.editable) saved.copy(pickPhoto = true) else saved
    }

    /** Save what is on screen, then send it for review. */
    fun submit(id: String?, form: DraftForm): EditorState {
        val saved = write(id, form)
        val record = saved.record ?: return saved.rejected!!
        return try {
            fromRecord(drafts.submitDraft(record.id)).copy(notice = UiText(StringKey.SUBMITTED), finished = true)
        } catch (e: FundiException) {
            fromRecord(record).copy(message = errorText(e))
        }
    }

    fun delete(id: String, form: DraftForm): EditorState = try {
        drafts.deleteDraft(id)
        EditorState(draftId = null, form = form, notice = UiText(StringKey.DELETED), finished = true)
    } catch (e: FundiException) {
        EditorState(draftId = id, form = form, message = errorText(e))
    }

    private class Written(val record: Draft?, val rejected: EditorState?)

    private fun write(id: String?, form: DraftForm): Written {
        fun rejected(errors: Map<DraftField, UiText>, message: UiText) =
            Written(null, EditorState(draftId = id, form = form, fieldErrors = errors, message = message))

        // The core reads the typed form and names every field it cannot accept, all at once.
        return try {
            val d = readDraftForm(
                uniffi.fundi.DraftForm(form.title, form.description, form.materials, form.category, form.price, form.weeklyCapacity),
            )
            val record = if (id == null) {
                drafts.createDraft(d)
            } else {
                drafts.updateDraft(
                    id,
                    DraftPatch(d.title, d.description, d.materials, d.category, d.priceMinor, d.weeklyCapacity),
                )
            }
            Written(record, null)
        } catch (e: FundiException.InvalidInput) {
            rejected(fieldErrors(e, language), errorText(e))
        } catch (e: FundiException) {
            rejected(emptyMap(), errorText(e))
        }
    }

    private fun fromRecord(r: Draft): EditorState {
        val editable = isEditable(r.status)
        return EditorState(
            draftId = r.id,
            form = DraftForm(
                title = r.title,
                description = r.description,
                materials = r.materials.joinToString(", "),
                category = r.category,
                price = formatKes(r.price.minor, language),
                weeklyCapacity = r.weeklyCapacity.toString(),
            ),
            editable = editable,
            state = stateKey(r.status),
            message = if (editable) null else UiText(StringKey.READ_ONLY_NOTE),
        )
    }
}
