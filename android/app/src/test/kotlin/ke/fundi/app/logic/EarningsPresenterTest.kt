// Her earnings over the real core and a real depot: nothing before a delivery; after staff
// deliver her order at the depot, her phone's next sync shows what it earned and her balance,
// formatted in her language, not paid yet; and the wording of each kind of entry and of each
// status on its own.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.EarningItem
import uniffi.fundi.EntryKind
import uniffi.fundi.EntryStatus
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
        val notPaidYet = UiText(StringKey.EARNING_STATUS_PENDING)
        assertEquals(
            listOf(EarningRow(UiText(StringKey.EARNING_EARNED, "Kiondo basket"), "+KSh 2,500", true, after.rows[0].atMs, null, notPaidYet)),
            after.rows,
        )
        assertEquals(UiText(StringKey.EARNINGS_BALANCE, "KSh 2,500"), after.balance)
        assertEquals(UiText(StringKey.EARNINGS_EARNED, "KSh 2,500"), after.earned)
        assertNull(after.menteeSales, "an artisan has no mentees")
        // Her mentor sees the sale among her mentees' (delivered today: this month too).
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        mentor.sync.syncNow(null)
        assertEquals(UiText(StringKey.EARNINGS_MENTEE_SALES, "KSh 2,500", "KSh 2,500"), EarningsPresenter(mentor.sync, Language.ENGLISH).load().menteeSales)
        mentor.closeDatabase()
        staff.closeDatabase()
        artisan.closeDatabase()
    }

    @Test
    fun eachKindOfEntrySaysWhatItWas() {
        fun item(kind: EntryKind?, product: String?, order: String?) =
            EarningItem("id", kind, 100, "KES", order, product, null, null, 0u, null)
        assertEquals(UiText(StringKey.EARNING_EARNED, "Bowl"), earningWhat(item(EntryKind.EARNING, "Bowl", "o1")))
        assertEquals(UiText(StringKey.EARNING_EARNED, "o1"), earningWhat(item(EntryKind.EARNING, null, "o1")), "an order no longer on the phone: its id")
        assertEquals(UiText(StringKey.EARNING_REFUNDED_ORDER), earningWhat(item(EntryKind.REVERSAL, null, null)))
        assertEquals(UiText(StringKey.EARNING_PAYOUT_RETURNED), earningWhat(item(EntryKind.PAYOUT_RETURNED, null, null)))
        assertEquals(UiText(StringKey.EARNING_OTHER), earningWhat(item(null, null, null)), "a kind from a newer depot")
        assertEquals(UiText(StringKey.EARNING_COMMISSION_ON, "Bowl"), earningWhat(item(EntryKind.COMMISSION, "Bowl", "o1")))
    }

    @Test
    fun eachStatusSaysWhereTheMoneyIs() {
        assertEquals(UiText(StringKey.EARNING_STATUS_PAID, "QK12ABC"), earningStatus(EntryStatus.Paid("p1", "QK12ABC")))
        assertEquals(
            UiText(StringKey.EARNING_STATUS_FAILED, "2040: not registered"),
            earningStatus(EntryStatus.Failed("p1", "2040: not registered")),
        )
        assertEquals(UiText(StringKey.EARNING_STATUS_IN_PAYOUT), earningStatus(EntryStatus.InPayout("p1")))
        assertEquals(UiText(StringKey.EARNING_STATUS_REFUNDED), earningStatus(EntryStatus.Reversed))
        assertNull(earningStatus(null), "entries without a status show none")
    }
}
