// The editor presenter over a real database: save, validation errors per field, submit, delete.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.DraftFieldName
import uniffi.fundi.DraftState
import uniffi.fundi.ProductCategory
import uniffi.fundi.UiLanguage
import uniffi.fundi.productCategories

class DraftEditorPresenterTest {

    private val good = DraftForm(
        title = "Kiondo basket",
        description = "Woven sisal with leather straps",
        materials = "sisal, leather,\ndye",
        category = ProductCategory.BASKETS,
        price = "1,250",
        weeklyCapacity = "4",
    )

    @Test
    fun blankFormUsesTheCoresFirstCategory() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        assertEquals(productCategories(), p.categories)
        val blank = p.blank()
        assertNull(blank.draftId)
        assertEquals(productCategories().first(), blank.form.category)
        assertTrue(blank.editable)
        store.closeDatabase()
    }

    @Test
    fun saveCreatesThenUpdatesAndTheFormRoundTrips() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        val created = p.save(null, good)
        val id = created.draftId!!
        assertEquals(UiText(StringKey.SAVED), created.notice)
        assertEquals(emptyMap<DraftFieldName, UiText>(), created.fieldErrors)
        assertEquals("KSh 1,250", created.form.price)
        assertEquals("sisal, leather, dye", created.form.materials)
        assertEquals(listOf("sisal", "leather", "dye"), store.getDraft(id).materials)
        assertEquals(125_000L, store.getDraft(id).priceMinor)

        // What the editor shows can be saved again unchanged (the price text parses back).
        val again = p.save(id, created.form.copy(title = "Kiondo basket, large", weeklyCapacity = "6"))
        assertEquals(id, again.draftId)
        val stored = store.getDraft(id)
        assertEquals("Kiondo basket, large", stored.title)
        assertEquals(125_000L, stored.priceMinor)
        assertEquals(6u, stored.weeklyCapacity)
        assertEquals(1, store.listDrafts().size)

        assertEquals(again.form, p.load(id).form)
        store.closeDatabase()
    }

    @Test
    fun coreValidationErrorsLandOnTheirFields() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        val state = p.save(null, good.copy(title = "   ", weeklyCapacity = "0"))
        assertNull(state.draftId)
        assertEquals(UiText(StringKey.FIX_MARKED_FIELDS), state.message)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), state.fieldErrors[DraftFieldName.TITLE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_TOO_SMALL, 1L), state.fieldErrors[DraftFieldName.WEEKLY_CAPACITY])
        assertEquals("   ", state.form.title, "what was typed stays on screen")
        assertEquals(0, store.listDrafts().size)
        store.closeDatabase()
    }

    @Test
    fun unreadablePriceAndCountAreReportedTogether() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.SWAHILI)
        val state = p.save(null, good.copy(price = "elfu moja", weeklyCapacity = "tano"))
        assertEquals(UiText(StringKey.ERROR_PRICE_INVALID), state.fieldErrors[DraftFieldName.PRICE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_INVALID), state.fieldErrors[DraftFieldName.WEEKLY_CAPACITY])
        val blank = p.save(null, good.copy(price = "", weeklyCapacity = ""))
        assertEquals(UiText(StringKey.ERROR_PRICE_REQUIRED), blank.fieldErrors[DraftFieldName.PRICE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_REQUIRED), blank.fieldErrors[DraftFieldName.WEEKLY_CAPACITY])
        assertEquals(0, store.listDrafts().size)
        store.closeDatabase()
    }

    @Test
    fun submitSavesFirstThenLocksTheDraft() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        val sent = p.submit(null, good)
        assertTrue(sent.finished)
        assertEquals(UiText(StringKey.SUBMITTED), sent.notice)
        val id = sent.draftId!!
        assertEquals(DraftState.SUBMITTED, store.getDraft(id).state)

        val reopened = p.load(id)
        assertFalse(reopened.editable)
        assertEquals(StringKey.STATE_SUBMITTED, reopened.state)
        assertEquals(UiText(StringKey.READ_ONLY_NOTE), reopened.message)

        // The core refuses changes to a submitted draft; the editor says so instead of crashing.
        val refused = p.save(id, reopened.form.copy(title = "Changed"))
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), refused.message)
        assertEquals(good.title, store.getDraft(id).title)
        store.closeDatabase()
    }

    @Test
    fun submitWithInvalidFieldsDoesNotSubmit() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        val state = p.submit(null, good.copy(title = ""))
        assertFalse(state.finished)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), state.fieldErrors[DraftFieldName.TITLE])
        assertEquals(0, store.listDrafts().size)
        store.closeDatabase()
    }

    @Test
    fun deleteRemovesTheDraftAndClosesTheScreen() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        val id = p.save(null, good).draftId!!
        val deleted = p.delete(id, good)
        assertTrue(deleted.finished)
        assertEquals(UiText(StringKey.DELETED), deleted.notice)
        assertEquals(0, store.listDrafts().size)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.load(id).message)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.delete(id, good).message)
        store.closeDatabase()
    }

    @Test
    fun workAfterCloseReportsClosed() {
        val (store, _) = tempStore()
        val p = DraftEditorPresenter(store, UiLanguage.ENGLISH)
        store.closeDatabase()
        val state = p.save(null, good)
        assertEquals(UiText(StringKey.ERROR_CLOSED), state.message)
        assertEquals(emptyMap<DraftFieldName, UiText>(), state.fieldErrors)
    }
}
