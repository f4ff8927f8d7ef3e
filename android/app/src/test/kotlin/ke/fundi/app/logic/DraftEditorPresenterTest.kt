// The editor presenter over a real database: save, validation errors per field, submit, delete.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftField
import uniffi.fundi.DraftStatus
import uniffi.fundi.Language
import uniffi.fundi.productCategories

class DraftEditorPresenterTest {

    private val good = DraftForm(
        title = "Kiondo basket",
        description = "Woven sisal with leather straps",
        materials = "sisal, leather,\ndye",
        category = Category.BASKETS,
        price = "1,250",
        weeklyCapacity = "4",
    )

    @Test
    fun blankFormUsesTheCoresFirstCategory() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        assertEquals(productCategories(), p.categories)
        val blank = p.blank()
        assertNull(blank.draftId)
        assertEquals(productCategories().first(), blank.form.category)
        assertTrue(blank.editable)
        phone.closeDatabase()
    }

    @Test
    fun saveCreatesThenUpdatesAndTheFormRoundTrips() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val created = p.save(null, good)
        val id = created.draftId!!
        assertEquals(UiText(StringKey.SAVED), created.notice)
        assertEquals(emptyMap<DraftField, UiText>(), created.fieldErrors)
        assertEquals("KSh 1,250", created.form.price)
        assertEquals("sisal, leather, dye", created.form.materials)
        assertEquals(listOf("sisal", "leather", "dye"), drafts.getDraft(id).materials)
        assertEquals(125_000L, drafts.getDraft(id).price.minor)

        // What the editor shows can be saved again unchanged (the price text parses back).
        val again = p.save(id, created.form.copy(title = "Kiondo basket, large", weeklyCapacity = "6"))
        assertEquals(id, again.draftId)
        val stored = drafts.getDraft(id)
        assertEquals("Kiondo basket, large", stored.title)
        assertEquals(125_000L, stored.price.minor)
        assertEquals(6u, stored.weeklyCapacity)
        assertEquals(1, drafts.listDrafts().size)

        assertEquals(again.form, p.load(id).form)
        phone.closeDatabase()
    }

    @Test
    fun coreValidationErrorsLandOnTheirFields() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val state = p.save(null, good.copy(title = "   ", weeklyCapacity = "0"))
        assertNull(state.draftId)
        assertEquals(UiText(StringKey.FIX_MARKED_FIELDS), state.message)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), state.fieldErrors[DraftField.TITLE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_TOO_SMALL, 1L), state.fieldErrors[DraftField.WEEKLY_CAPACITY])
        assertEquals("   ", state.form.title, "what was typed stays on screen")
        assertEquals(0, drafts.listDrafts().size)
        phone.closeDatabase()
    }

    @Test
    fun unreadablePriceAndCountAreReportedTogether() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.SWAHILI)
        val state = p.save(null, good.copy(price = "elfu moja", weeklyCapacity = "tano"))
        assertEquals(UiText(StringKey.ERROR_PRICE_INVALID), state.fieldErrors[DraftField.PRICE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_INVALID), state.fieldErrors[DraftField.WEEKLY_CAPACITY])
        val blank = p.save(null, good.copy(price = "", weeklyCapacity = ""))
        assertEquals(UiText(StringKey.ERROR_PRICE_REQUIRED), blank.fieldErrors[DraftField.PRICE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_REQUIRED), blank.fieldErrors[DraftField.WEEKLY_CAPACITY])
        assertEquals(0, drafts.listDrafts().size)
        phone.closeDatabase()
    }

    @Test
    fun submitSavesFirstThenLocksTheDraft() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val sent = p.submit(null, good)
        assertTrue(sent.finished)
        assertEquals(UiText(StringKey.SUBMITTED), sent.notice)
        val id = sent.draftId!!
        assertEquals(DraftStatus.SUBMITTED, drafts.getDraft(id).status)

        val reopened = p.load(id)
        assertFalse(reopened.editable)
        assertEquals(StringKey.STATE_SUBMITTED, reopened.state)
        assertEquals(UiText(StringKey.READ_ONLY_NOTE), reopened.message)

        // The core refuses changes to a submitted draft; the editor says so instead of crashing.
        val refused = p.save(id, reopened.form.copy(title = "Changed"))
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), refused.message)
        assertEquals(good.title, drafts.getDraft(id).title)
        phone.closeDatabase()
    }

    @Test
    fun submitWithInvalidFieldsDoesNotSubmit() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val state = p.submit(null, good.copy(title = ""))
        assertFalse(state.finished)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), state.fieldErrors[DraftField.TITLE])
        assertEquals(0, drafts.listDrafts().size)
        phone.closeDatabase()
    }

    @Test
    fun deleteRemovesTheDraftAndClosesTheScreen() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val id = p.save(null, good).draftId!!
        val deleted = p.delete(id, good)
        assertTrue(deleted.finished)
        assertEquals(UiText(StringKey.DELETED), deleted.notice)
        assertEquals(0, drafts.listDrafts().size)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.load(id).message)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.delete(id, good).message)
        phone.closeDatabase()
    }

    @Test
    fun workAfterCloseReportsClosed() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        phone.closeDatabase()
        val state = p.save(null, good)
        assertEquals(UiText(StringKey.ERROR_CLOSED), state.message)
        assertEquals(emptyMap<DraftField, UiText>(), state.fieldErrors)
    }
}
