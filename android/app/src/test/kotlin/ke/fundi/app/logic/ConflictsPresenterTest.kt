// Conflicts over the real core and a real depot: a draft's price edited on the artisan's
// phone and by depot staff at once; the artisan sees both values and restores hers, and the
// conflict is settled everywhere. A refused change is sent again or discarded.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftCommand
import uniffi.fundi.DraftPatch
import uniffi.fundi.Language
import uniffi.fundi.NewDraft
import uniffi.fundi.OrderCommand
import uniffi.fundi.Role

class ConflictsPresenterTest {

    @Test
    fun aLosingPriceIsShownBesideTheWinnerAndRestored() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val staff = depot.enrolledPhone("staff", Role.STAFF)
        val d = artisan.drafts.createDraft(NewDraft("Kiondo", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        artisan.drafts.submitDraft(d.id)
        artisan.sync.syncNow(null)
        mentor.sync.syncNow(null)
        mentor.sync.reviewDraft(d.id, DraftCommand.REQUEST_CHANGES, "A fairer price?")
        mentor.sync.syncNow(null)
        artisan.sync.syncNow(null)

        // Both change the price, neither having seen the other's.
        artisan.drafts.updateDraft(d.id, DraftPatch(priceMinor = 260_000))
        Thread.sleep(5)
        staff.sync.syncNow(null)
        staff.sync.setReviewedDraftPrice(d.id, 300_000)
        staff.sync.syncNow(null)
        artisan.sync.syncNow(null)

        val p = ConflictsPresenter(artisan.drafts, artisan.sync, Language.ENGLISH)
        val row = p.load().rows.single()
        assertEquals(UiText(StringKey.CONFLICT_FIELD, UiTextArg(StringKey.FIELD_PRICE), "Kiondo"), row.title)
        assertEquals(UiText(StringKey.PLAIN, "KSh 3,000"), row.current)
        assertEquals(UiText(StringKey.PLAIN, "KSh 2,600"), row.other)
        assertEquals(listOf(ConflictAction.KEEP, ConflictAction.RESTORE), row.actions)
        assertNull(row.reason)

        val settled = p.settle(row.id, ConflictAction.RESTORE)
        assertEquals(UiText(StringKey.CONFLICT_SETTLED), settled.notice)
        assertTrue(settled.isEmpty || settled.rows.isEmpty())
        assertEquals(260_000L, artisan.drafts.getDraft(d.id).price.minor)
        artisan.sync.syncNow(null)
        staff.sync.syncNow(null)
        artisan.sync.syncNow(null)
        assertEquals(emptyList<ConflictRow>(), p.load().rows, "settled everywhere")
        assertEquals(260_000L, artisan.drafts.getDraft(d.id).price.minor)
        listOf(artisan, mentor, staff).forEach { it.closeDatabase() }
    }

    @Test
    fun aRefusedCommandCanBeDiscarded() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Baraka", Role.ARTISAN)
        val ops = depot.enrolledPhone("operations", Role.OPERATIONS)
        artisan.sync.syncNow(null)
        ops.sync.syncNow(null)
        val id = artisan.sync.listOrders().single().id
        ops.sync.orderCommand(id, OrderCommand.CANCEL, "Stock found elsewhere")
        ops.sync.syncNow(null)
        artisan.sync.orderCommand(id, OrderCommand.DECLINE, "Too busy")
        assertEquals(1u, artisan.sync.syncNow(null).refused)

        val p = ConflictsPresenter(artisan.drafts, artisan.sync, Language.SWAHILI)
        val row = p.load().rows.single()
        assertEquals(UiText(StringKey.CONFLICT_YOUR_CHANGE, UiTextArg(StringKey.KIND_ORDER)), row.title)
        assertEquals(UiText(StringKey.REFUSED_STATE), row.reason)
        assertEquals(listOf(ConflictAction.RETRY, ConflictAction.DISCARD), row.actions)
        val after = p.settle(row.id, ConflictAction.DISCARD)
        assertEquals(emptyList<ConflictRow>(), after.rows)
        assertEquals(0u, artisan.sync.pendingCount())
        artisan.closeDatabase()
        ops.closeDatabase()
    }

    @Test
    fun jsonValuesAreShownAsText() {
        assertEquals("Kiondo \"big\"", jsonText("\"Kiondo \\\"big\\\"\""))
        assertEquals("Line\nnext", jsonText("\"Line\\nnext\""))
        assertEquals("é", jsonText("\"\\u00e9\""))
        assertEquals("[\"sisal\"]", jsonText("[\"sisal\"]"))
        assertEquals("260000", jsonText(" 260000 "))
    }
}
