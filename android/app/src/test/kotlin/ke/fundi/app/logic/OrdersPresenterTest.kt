// Orders over the real core and a real depot with its demo orders: the list with what waits
// for the artisan first, the detail with the commands the core offers, an order accepted,
// started and marked ready through the depot, a command refused at once, and one the depot
// refused after another user cancelled the order, shown with what to do next; due dates (the
// demo's olive wood bowl is two days late) and what happened to an order.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Language
import uniffi.fundi.OrderCommand
import uniffi.fundi.Role

private val SWAHILI_MONTHS =
    setOf("Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba", "Oktoba", "Novemba", "Desemba")

class OrdersPresenterTest {

    private fun OrdersPresenter.idOf(product: String): String =
        list().groups.flatMap { it.rows }.single { it.product == product }.id

    @Test
    fun aPhoneWithoutOrdersShowsTheEmptyState() {
        val phone = tempPhone()
        val state = OrdersPresenter(phone.sync, Language.ENGLISH).list()
        // Not enrolled: the core cannot say whose orders these would be.
        assertTrue(state.isEmpty || state.message != null, "$state")
        phone.closeDatabase()
    }

    @Test
    fun aLateOrderComesFirstAndSaysWhenItWasDueInHerLanguage() = withDepot { depot ->
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        phone.sync.syncNow(null)
        val rows = OrdersPresenter(phone.sync, Language.SWAHILI).list().groups.first().rows
        // The demo depot's bowl was due two days ago, the basket is due in a week.
        assertEquals(listOf("Olive wood bowl", "Kiondo basket"), rows.map { it.product })
        val (bowl, basket) = rows
        assertTrue(bowl.late)
        val bowlOrder = phone.sync.listOrders().single { it.id == bowl.id }
        val dueDay = requireNotNull(bowlOrder.dueDate) { "the demo order has a due date" }
        assertEquals(UiText(StringKey.ORDER_LATE, uniffi.fundi.formatDueDate(dueDay, Language.SWAHILI)!!), bowl.due)
        assertTrue((bowl.due!!.args[0] as String).split(" ")[1] in SWAHILI_MONTHS, "${bowl.due}")
        assertEquals(false, basket.late)
        assertEquals(StringKey.ORDER_DUE, basket.due!!.key)
        assertNull(uniffi.fundi.formatDueDate("2026-02-30", Language.ENGLISH), "not a day")

        // Marked ready (even before it syncs) it is no longer late: she has done her part.
        val p = OrdersPresenter(phone.sync, Language.SWAHILI)
        for (c in listOf(OrderCommand.ACCEPT, OrderCommand.START_PRODUCTION, OrderCommand.MARK_READY)) p.issue(bowl.id, c, null)
        val ready = p.detail(bowl.id)
        assertEquals(false, ready.late)
        assertEquals(StringKey.ORDER_DUE, ready.due!!.key)
        phone.closeDatabase()
    }

    @Test
    fun anOrderIsAcceptedStartedAndMarkedReadyThroughTheDepot() = withDepot { depot ->
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        phone.sync.syncNow(null)
        val p = OrdersPresenter(phone.sync, Language.ENGLISH)

        val list = p.list()
        assertEquals(StringKey.ORDERS_NEED_YOU, list.groups.first().title)
        assertEquals(setOf("Kiondo basket", "Olive wood bowl"), list.groups.first().rows.map { it.product }.toSet())
        assertTrue(list.groups.first().rows.all { it.needsYou && !it.pending })

        val id = p.idOf("Kiondo basket")
        val detail = p.detail(id)
        assertEquals(StringKey.ORDER_STATUS_ASSIGNED, detail.status)
        assertEquals(UiText(StringKey.ORDER_QUANTITY, 3L), detail.quantity)
        assertEquals("KSh 2,500", detail.price)
        assertEquals("shop SHOP-1001", detail.reference)
        assertEquals(
            listOf(
                OrderAction(OrderCommand.ACCEPT, StringKey.ORDER_CMD_ACCEPT, asksReason = false),
                OrderAction(OrderCommand.DECLINE, StringKey.ORDER_CMD_DECLINE, asksReason = true),
            ),
            detail.actions,
        )

        // Accepted here: pending until the depot answers, and the next step offered at once.
        val accepted = p.issue(id, OrderCommand.ACCEPT, null)
        assertEquals(StringKey.ORDER_STATUS_ACCEPTED, accepted.status)
        assertEquals(listOf(StringKey.ORDER_CMD_ACCEPT), accepted.pending)
        assertEquals(listOf(OrderCommand.START_PRODUCTION), accepted.actions.map { it.command })
        assertEquals(UiText(StringKey.ORDER_COMMAND_QUEUED), accepted.notice)
        assertTrue(p.list().groups.flatMap { it.rows }.single { it.id == id }.pending)

        phone.sync.syncNow(null)
        assertEquals(emptyList<StringKey>(), p.detail(id).pending)
        assertEquals(StringKey.ORDER_STATUS_ACCEPTED, p.detail(id).status)

        p.issue(id, OrderCommand.START_PRODUCTION, null)
        val ready = p.issue(id, OrderCommand.MARK_READY, null)
        assertEquals(StringKey.ORDER_STATUS_READY_FOR_PICKUP, ready.status)
        assertEquals(listOf(StringKey.ORDER_CMD_START_PRODUCTION, StringKey.ORDER_CMD_MARK_READY), ready.pending)
        val report = phone.sync.syncNow(null)
        assertEquals(2u, report.pushed)
        assertEquals(0u, report.refused)

        // The depot agrees: ready for pickup, nothing left for her to do, nothing pending.
        val after = p.detail(id)
        assertEquals(StringKey.ORDER_STATUS_READY_FOR_PICKUP, after.status)
        assertEquals(emptyList<OrderAction>(), after.actions)
        assertEquals(emptyList<StringKey>(), after.pending)
        assertEquals(emptyList<UiText>(), after.refusals)
        val groups = p.list().groups
        assertEquals(listOf("Olive wood bowl"), groups.first { it.title == StringKey.ORDERS_NEED_YOU }.rows.map { it.product })
        assertEquals(listOf(id), groups.single { it.title == StringKey.ORDER_STATUS_READY_FOR_PICKUP }.rows.map { it.id })

        // What happened, as the depot recorded it: placed (assigned at import), then her three steps.
        assertEquals(
            listOf(
                StringKey.ORDER_HISTORY_CREATED,
                StringKey.ORDER_STATUS_ACCEPTED,
                StringKey.ORDER_STATUS_IN_PRODUCTION,
                StringKey.ORDER_STATUS_READY_FOR_PICKUP,
            ),
            after.history.map { it.label },
        )
        assertTrue(after.history.zipWithNext().all { (a, b) -> a.atMs <= b.atMs }, "${after.history}")
        assertNull(after.historyDropped)

        // Staff at the depot see it ready: the depot's own state, not this phone's.
        val staff = depot.enrolledPhone("staff", Role.STAFF)
        staff.sync.syncNow(null)
        assertEquals(StringKey.ORDER_STATUS_READY_FOR_PICKUP, OrdersPresenter(staff.sync, Language.ENGLISH).detail(id).status)
        staff.closeDatabase()
        phone.closeDatabase()
    }

    @Test
    fun aCommandThatDoesNotFitNowIsRefusedAtOnceInHerLanguage() = withDepot { depot ->
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        phone.sync.syncNow(null)
        val p = OrdersPresenter(phone.sync, Language.SWAHILI)
        val id = p.idOf("Olive wood bowl")
        val refused = p.issue(id, OrderCommand.MARK_READY, null)
        assertEquals(UiText(StringKey.ORDER_COMMAND_NOT_NOW), refused.message)
        assertEquals(StringKey.ORDER_STATUS_ASSIGNED, refused.status)
        assertEquals(emptyList<StringKey>(), refused.pending)
        assertEquals(0u, phone.sync.pendingCount(), "nothing queued")
        assertEquals("KSh 1,800", refused.price)
        phone.closeDatabase()
    }

    @Test
    fun aCommandTheDepotRefusesIsShownWithWhatToDoNext() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val ops = depot.enrolledPhone("operations", Role.OPERATIONS)
        artisan.sync.syncNow(null)
        ops.sync.syncNow(null)
        val p = OrdersPresenter(artisan.sync, Language.ENGLISH)
        val id = p.idOf("Olive wood bowl")

        // Operations cancel the order; the artisan, not yet synced, accepts it.
        OrdersPresenter(ops.sync, Language.ENGLISH).issue(id, OrderCommand.CANCEL, "Customer withdrew")
        ops.sync.syncNow(null)
        assertEquals(StringKey.ORDER_STATUS_ACCEPTED, p.issue(id, OrderCommand.ACCEPT, null).status)

        val report = artisan.sync.syncNow(null)
        assertEquals(1u, report.refused)
        assertEquals(StringKey.SYNC_REFUSED, syncDoneText(report).second?.key)

        val detail = p.detail(id)
        assertEquals(StringKey.ORDER_STATUS_CANCELLED, detail.status)
        assertEquals("Customer withdrew", detail.note)
        assertEquals(listOf(UiText(StringKey.REFUSED_STATE)), detail.refusals)
        assertEquals(emptyList<OrderAction>(), detail.actions)
        assertNull(detail.message)
        artisan.closeDatabase()
        ops.closeDatabase()
    }

    /**
     * The depot asks her to remake pieces it sold from its stock (an order whose source is
     * "replenish", imported as the depot's shop side makes them): marked in the list and the
     * detail, with the note that she is paid when the pieces sell; a shop order is not.
     */
    @Test
    fun aReplenishOrderIsMarkedAndSaysSheIsPaidWhenThePiecesSell() = withDepot { depot ->
        val akinyi = depot.account("artisan Akinyi").accountId
        depot.importOrders(
            """[{"source": "replenish", "external_ref": "R-1", "product": "Kiondo basket, large", "quantity": 2,
                 "price_minor": 500000, "artisan_id": "$akinyi"}]""",
        )
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        phone.sync.syncNow(null)
        val p = OrdersPresenter(phone.sync, Language.SWAHILI)
        val rows = p.list().groups.first().rows
        val replenish = rows.single { it.product == "Kiondo basket, large" }
        assertEquals(UiText(StringKey.ORDER_REPLENISH), replenish.replenish)
        assertTrue(replenish.needsYou)
        assertTrue(rows.filter { it.id != replenish.id }.all { it.replenish == null }, "the demo's shop orders are not")

        val detail = p.detail(replenish.id)
        assertEquals(UiText(StringKey.ORDER_REPLENISH), detail.replenish)
        assertEquals(UiText(StringKey.ORDER_REPLENISH_NOTE), detail.replenishNote)
        assertEquals("replenish R-1", detail.reference)
        val shop = p.detail(p.idOf("Kiondo basket"))
        assertNull(shop.replenish)
        assertNull(shop.replenishNote)
        // On her home too, among what waits for her.
        val home = HomePresenter(phone.drafts, phone.sync, Language.SWAHILI).load()
        assertEquals(UiText(StringKey.ORDER_REPLENISH), home.ordersForYou.single { it.id == replenish.id }.replenish)
        phone.closeDatabase()
    }
}
