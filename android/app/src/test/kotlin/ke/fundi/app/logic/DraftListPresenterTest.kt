// The list presenter over a real database: order, formatted prices, labels, errors.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.NewDraftInput
import uniffi.fundi.ProductCategory
import uniffi.fundi.UiLanguage

class DraftListPresenterTest {

    private fun input(title: String, priceMinor: Long) =
        NewDraftInput(title, "", listOf("sisal"), ProductCategory.BASKETS, priceMinor, 4u)

    @Test
    fun emptyDatabaseShowsTheEmptyState() {
        val (store, _) = tempStore()
        val state = DraftListPresenter(store, UiLanguage.ENGLISH).load()
        assertTrue(state.isEmpty)
        assertEquals(emptyList<DraftRow>(), state.rows)
        store.closeDatabase()
    }

    @Test
    fun rowsAreNewestFirstWithFormattedPrices() {
        val (store, _) = tempStore()
        val older = store.createDraft(input("Kiondo basket", 125_000))
        val newer = store.createDraft(input("Beaded bracelet", 45_050))
        val state = DraftListPresenter(store, UiLanguage.ENGLISH).load()
        assertFalse(state.isEmpty)
        assertEquals(listOf(newer.id, older.id), state.rows.map { it.id })
        val row = state.rows.last()
        assertEquals("Kiondo basket", row.title)
        assertEquals("KSh 1,250", row.price)
        assertEquals("KSh 450.50", state.rows.first().price)
        assertEquals(UiText(StringKey.ROW_WEEKLY_CAPACITY, 4L), row.weeklyCapacity)
        assertEquals(StringKey.CATEGORY_BASKETS, row.category)
        assertEquals(StringKey.STATE_DRAFT, row.state)
        store.closeDatabase()
    }

    @Test
    fun submittedDraftsShowTheirState() {
        val (store, _) = tempStore()
        val d = store.createDraft(input("Soapstone bowl", 90_000))
        store.submitDraft(d.id)
        val row = DraftListPresenter(store, UiLanguage.SWAHILI).load().rows.single()
        assertEquals(StringKey.STATE_SUBMITTED, row.state)
        store.closeDatabase()
    }

    @Test
    fun aClosedStoreGivesAMessageNotACrash() {
        val (store, _) = tempStore()
        store.closeDatabase()
        val state = DraftListPresenter(store, UiLanguage.ENGLISH).load()
        assertEquals(UiText(StringKey.ERROR_CLOSED), state.message)
        assertFalse(state.isEmpty)
    }
}
