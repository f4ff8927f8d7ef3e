// The list presenter over a real database: order, formatted prices, labels, errors.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.Language
import uniffi.fundi.NewDraft

class DraftListPresenterTest {

    private fun input(title: String, priceMinor: Long) =
        NewDraft(title, "", listOf("sisal"), Category.BASKETS, priceMinor, 4u)

    @Test
    fun emptyDatabaseShowsTheEmptyState() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val state = DraftListPresenter(drafts, Language.ENGLISH).load()
        assertTrue(state.isEmpty)
        assertEquals(emptyList<DraftRow>(), state.rows)
        phone.closeDatabase()
    }

    @Test
    fun rowsAreNewestFirstWithFormattedPrices() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val older = drafts.createDraft(input("Kiondo basket", 125_000))
        val newer = drafts.createDraft(input("Beaded bracelet", 45_050))
        val state = DraftListPresenter(drafts, Language.ENGLISH).load()
        assertFalse(state.isEmpty)
        assertEquals(listOf(newer.id, older.id), state.rows.map { it.id })
        val row = state.rows.last()
        assertEquals("Kiondo basket", row.title)
        assertEquals("KSh 1,250", row.price)
        assertEquals("KSh 450.50", state.rows.first().price)
        assertEquals(UiText(StringKey.ROW_WEEKLY_CAPACITY, 4L), row.weeklyCapacity)
        assertEquals(StringKey.CATEGORY_BASKETS, row.category)
        assertEquals(StringKey.STATE_DRAFT, row.state)
        phone.closeDatabase()
    }

    @Test
    fun submittedDraftsShowTheirState() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val d = drafts.createDraft(input("Soapstone bowl", 90_000))
        drafts.submitDraft(d.id)
        val row = DraftListPresenter(drafts, Language.SWAHILI).load().rows.single()
        assertEquals(StringKey.STATE_SUBMITTED, row.state)
        phone.closeDatabase()
    }

    @Test
    fun aClosedStoreGivesAMessageNotACrash() {
        val phone = tempPhone()
        val drafts = phone.drafts
        phone.closeDatabase()
        val state = DraftListPresenter(drafts, Language.ENGLISH).load()
        assertEquals(UiText(StringKey.ERROR_CLOSED), state.message)
        assertFalse(state.isEmpty)
    }
}
