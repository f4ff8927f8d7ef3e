// Her earnings over the real core and a real depot: nothing before a delivery; after staff
// deliver her order at the depot, her phone's next sync shows what it earned and her balance,
// formatted in her language; and the wording of each kind of entry on its own.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.EarningItem
import uniffi.fundi.EntryKind
import uniffi.fundi.Language
import uniffi.fundi.OrderCommand
import uniffi.fundi.Role

class EarningsPresenterTest {

    @Test
    fun aDeliveredOrderShowsAsEarnedWithHerBalance() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        artisan.sync.syncNow(null)
        val before = EarningsPresenter(artisan.sync, Language.SWAHILI).load()
        assertTrue(before.isEmpty, "$before")
        assertNull(before.balance)

        val basket = artisan.sync.listOrders().single { it.product == "Kiondo basket" }
        for (c in listOf(OrderCommand.ACCEPT, OrderCommand.START_PRODUCTION, OrderCommand.MARK_READY)) {
            artisan.sync.orderCommand(basket.id, c, null)
        }
        artisan.sync.syncNow(null)
        val staff = depot.enrolledPhone("staff", Role.STAFF)
        staff.sync.syncNow(null)
        for (c in listOf(OrderCommand.RECEIVE, OrderCommand.QC_PASS, OrderCommand.SHIP, OrderCommand.DELIVER)) {
            staff.sync.orderCommand(basket.id, c, null)
        }
        assertEquals(0u, staff.sync.syncNow(null).refused)
        assertTrue(EarningsPresenter(staff.sync, Language.ENGLISH).load().isEmpty, "staff's phone gets no one's money")

        artisan.sync.syncNow(null)
        val after = EarningsPresenter(artisan.sync, Language.SWAHILI).load()
        assertEquals(listOf(EarningRow(UiText(StringKey.EARNING_EARNED, "Kiondo basket"), "+KSh 2,500", true, after.rows[0].atMs, null)), after.rows)
        assertEquals(UiText(StringKey.EARNINGS_BALANCE, "KSh 2,500"), after.balance)
        assertEquals(UiText(StringKey.EARNINGS_EARNED, "KSh 2,500"), after.earned)
        staff.closeDatabase()
        artisan.closeDatabase()
    }

    @Test
    fun eachKindOfEntrySaysWhatItWas() {
        fun item(kind: EntryKind?, product: String?, order: String?) =
            EarningItem("id", kind, 100, "KES", order, product, null, null, 0u)
        assertEquals(UiText(StringKey.EARNING_EARNED, "Bowl"), earningWhat(item(EntryKind.EARNING, "Bowl", "o1")))
        assertEquals(UiText(StringKey.EARNING_EARNED, "o1"), earningWhat(item(EntryKind.EARNING, null, "o1")), "an order no longer on the phone: its id")
        assertEquals(UiText(StringKey.EARNING_REFUNDED_ORDER), earningWhat(item(EntryKind.REVERSAL, null, null)))
        assertEquals(UiText(StringKey.EARNING_PAYOUT_RETURNED), earningWhat(item(EntryKind.PAYOUT_RETURNED, null, null)))
        assertEquals(UiText(StringKey.EARNING_OTHER), earningWhat(item(null, null, null)), "a kind from a newer depot")
    }
}
