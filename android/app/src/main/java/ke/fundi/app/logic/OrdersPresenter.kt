// Orders: the list (those waiting for this user first, then by status), one order's detail
// with the commands the core offers for it now, its pending commands and the depot's refusals
// of them, and issuing a command. Which commands exist for whom in which status is the core's
// table (OrderView.commands); whether a command asks for a reason is the core's too
// (orderCommandTakesReason); whether an order is late, and how its due date reads, too
// (OrderView.late, formatDueDate), and whether it is a replenishment of the depot's stock
// (OrderView.replenish). Calls block on the database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.ItemState
import uniffi.fundi.Language
import uniffi.fundi.OrderCommand
import uniffi.fundi.OrderStatus
import uniffi.fundi.OrderView
import uniffi.fundi.RejectCode
import uniffi.fundi.SyncServiceInterface
import uniffi.fundi.formatDueDate
import uniffi.fundi.formatKes
import uniffi.fundi.orderCommandTakesReason
import uniffi.fundi.refusalCode

fun orderStatusKey(status: OrderStatus): StringKey = when (status) {
    OrderStatus.NEW -> StringKey.ORDER_STATUS_NEW
    OrderStatus.ASSIGNED -> StringKey.ORDER_STATUS_ASSIGNED
    OrderStatus.ACCEPTED -> StringKey.ORDER_STATUS_ACCEPTED
    OrderStatus.DECLINED -> StringKey.ORDER_STATUS_DECLINED
    OrderStatus.IN_PRODUCTION -> StringKey.ORDER_STATUS_IN_PRODUCTION
    OrderStatus.READY_FOR_PICKUP -> StringKey.ORDER_STATUS_READY_FOR_PICKUP
    OrderStatus.RECEIVED -> StringKey.ORDER_STATUS_RECEIVED
    OrderStatus.QC_PASSED -> StringKey.ORDER_STATUS_QC_PASSED
    OrderStatus.QC_FAILED -> StringKey.ORDER_STATUS_QC_FAILED
    OrderStatus.SHIPPED -> StringKey.ORDER_STATUS_SHIPPED
    OrderStatus.DELIVERED -> StringKey.ORDER_STATUS_DELIVERED
    OrderStatus.CANCELLED -> StringKey.ORDER_STATUS_CANCELLED
    OrderStatus.STOCKED -> StringKey.ORDER_STATUS_STOCKED
}

/** A command's button label (and its name in "waiting to sync: ..."). */
fun orderCommandKey(command: OrderCommand): StringKey = when (command) {
    OrderCommand.ASSIGN -> StringKey.ORDER_CMD_ASSIGN
    OrderCommand.ACCEPT -> StringKey.ORDER_CMD_ACCEPT
    OrderCommand.DECLINE -> StringKey.ORDER_CMD_DECLINE
    OrderCommand.START_PRODUCTION -> StringKey.ORDER_CMD_START_PRODUCTION
    OrderCommand.MARK_READY -> StringKey.ORDER_CMD_MARK_READY
    OrderCommand.RECEIVE -> StringKey.ORDER_CMD_RECEIVE
    OrderCommand.QC_PASS -> StringKey.ORDER_CMD_QC_PASS
    OrderCommand.QC_FAIL -> StringKey.ORDER_CMD_QC_FAIL
    OrderCommand.REWORK -> StringKey.ORDER_CMD_REWORK
    OrderCommand.SHIP -> StringKey.ORDER_CMD_SHIP
    OrderCommand.DELIVER -> StringKey.ORDER_CMD_DELIVER
    OrderCommand.CANCEL -> StringKey.ORDER_CMD_CANCEL
    OrderCommand.STOCK -> StringKey.ORDER_CMD_STOCK
}

/**
 * Why the depot refused a change of this phone's and what the user can do next, from the
 * refusal's code (read by the core from the reason it kept).
 */
fun refusalText(reason: String): UiText = UiText(
    when (refusalCode(reason)) {
        RejectCode.ILLEGAL_TRANSITION -> StringKey.REFUSED_STATE
        RejectCode.FORBIDDEN -> StringKey.REFUSED_FORBIDDEN
        RejectCode.LOCKED -> StringKey.REFUSED_LOCKED
        RejectCode.INVALID, RejectCode.MALFORMED -> StringKey.REFUSED_INVALID
        RejectCode.CLOCK_AHEAD -> StringKey.REFUSED_CLOCK
        RejectCode.NOT_FOUND, RejectCode.GONE -> StringKey.REFUSED_GONE
        RejectCode.TOO_OLD_TO_REPLAY -> StringKey.REFUSED_TOO_OLD
        RejectCode.PHOTOS_PENDING -> StringKey.REFUSED_PHOTOS_PENDING
        RejectCode.UNSUPPORTED_KIND, RejectCode.ID_REUSED, RejectCode.UNKNOWN -> StringKey.REFUSED_OTHER
    },
)

/**
 * One order in a list. `needsYou`: the core offers this user a command on it now. `due`: "Due
 * 12 December 2026", or "Late: it was due ..." when the core says it is late. `replenish`: the
 * depot asks her to remake pieces it sold from its stock ("Replenish depot stock").
 */
data class OrderRow(
    val id: String,
    val product: String,
    val quantity: UiText,
    val price: String,
    val status: StringKey,
    val pending: Boolean,
    val needsYou: Boolean,
    val late: Boolean = false,
    val due: UiText? = null,
    val replenish: UiText? = null,
)

/** "Replenish depot stock" for an order the core says is a replenishment, else null. */
fun replenishText(o: OrderView): UiText? = if (o.replenish) UiText(StringKey.ORDER_REPLENISH) else null

/** The order's due date as a line to show, or null when it names none. */
fun dueText(o: OrderView, language: Language): UiText? {
    val day = o.dueDate?.let { formatDueDate(it, language) } ?: return null
    return UiText(if (o.late) StringKey.ORDER_LATE else StringKey.ORDER_DUE, day)
}

fun orderRow(o: OrderView, language: Language) = OrderRow(
    id = o.id,
    product = o.product,
    quantity = UiText(StringKey.ORDER_QUANTITY, o.quantity.toLong()),
    price = formatKes(o.priceMinor, language),
    status = orderStatusKey(o.status),
    pending = o.pendingCommands.isNotEmpty(),
    needsYou = o.commands.isNotEmpty(),
    late = o.late,
    due = dueText(o, language),
    replenish = replenishText(o),
)

/** One step of an order's history: what it became (or "order placed") and when. */
data class OrderHistoryLine(val label: StringKey, val atMs: Long, val reason: String?)

/** A heading and its orders. */
data class OrderGroup(val title: StringKey, val rows: List<OrderRow>)

data class OrdersState(val groups: List<OrderGroup>, val message: UiText? = null) {
    val isEmpty: Boolean get() = groups.isEmpty() && message == null
}

/** A button: the command, its label, and whether to ask for a reason first. */
data class OrderAction(val command: OrderCommand, val label: StringKey, val asksReason: Boolean)

data class OrderDetailState(
    val id: String,
    val product: String = "",
    val quantity: UiText? = null,
    val price: String = "",
    val status: StringKey? = null,
    /** Where the order came from: its source and reference ("shop SHOP-1001"). */
    val reference: String = "",
    /**
     * A replenishment: "Replenish depot stock", and that she is paid when the pieces sell, not
     * for this order (its price is the pieces' value). Null for other orders.
     */
    val replenish: UiText? = null,
    val replenishNote: UiText? = null,
    /** The order's note: why it was declined, failed its check or was cancelled. */
    val note: String? = null,
    val updatedAtMs: Long = 0,
    /** "Due ..." or "Late: it was due ...", null without a due date. */
    val due: UiText? = null,
    val late: Boolean = false,
    /** What happened at the depot, oldest first, and a line for older steps no longer kept. */
    val history: List<OrderHistoryLine> = emptyList(),
    val historyDropped: UiText? = null,
    /** Commands sent from here that the depot has not answered yet. */
    val pending: List<StringKey> = emptyList(),
    /** This phone's changes to the order that the depot refused, each with what to do next. */
    val refusals: List<UiText> = emptyList(),
    val actions: List<OrderAction> = emptyList(),
    val message: UiText? = null,
    val notice: UiText? = null,
)

class OrdersPresenter(private val sync: SyncServiceInterface, private val language: Language) {

    /**
     * Orders needing this user first (late ones first, then newest change first), then the
     * others grouped by status.
     */
    fun list(): OrdersState = try {
        val orders = sync.listOrders()
        val (mine, others) = orders.partition { it.commands.isNotEmpty() }
        val groups = mutableListOf<OrderGroup>()
        if (mine.isNotEmpty()) groups += OrderGroup(StringKey.ORDERS_NEED_YOU, mine.sortedBy { !it.late }.map { orderRow(it, language) })
        // In the order of the lifecycle (the enum's order), each status once.
        for (status in OrderStatus.values()) {
            val rows = others.filter { it.status == status }
            if (rows.isNotEmpty()) groups += OrderGroup(orderStatusKey(status), rows.map { orderRow(it, language) })
        }
        OrdersState(groups)
    } catch (e: FundiException) {
        OrdersState(emptyList(), errorText(e))
    }

    fun detail(id: String): OrderDetailState = try {
        val order = sync.listOrders().firstOrNull { it.id == id }
        if (order == null) OrderDetailState(id, message = UiText(StringKey.ORDER_NOT_FOUND)) else detailOf(order)
    } catch (e: FundiException) {
        OrderDetailState(id, message = errorText(e))
    }

    /**
     * Issue [command] with an optional [reason]. Refused by the core (another status now, not
     * this user's to do), the detail shows why; accepted, it shows the command as pending.
     */
    fun issue(id: String, command: OrderCommand, reason: String?): OrderDetailState = try {
        val order = sync.orderCommand(id, command, reason?.trim()?.ifEmpty { null })
        detailOf(order).copy(notice = UiText(StringKey.ORDER_COMMAND_QUEUED))
    } catch (e: FundiException) {
        val message = when (e) {
            is FundiException.NotAllowed -> UiText(StringKey.ORDER_COMMAND_NOT_NOW)
            else -> errorText(e)
        }
        detail(id).copy(message = message)
    }

    private fun detailOf(o: OrderView): OrderDetailState {
        val refusals = sync.outboxItems()
            .filter { it.recordId == o.id }
            .mapNotNull { (it.state as? ItemState.Wedged)?.reason }
            .map(::refusalText)
        return OrderDetailState(
            id = o.id,
            product = o.product,
            quantity = UiText(StringKey.ORDER_QUANTITY, o.quantity.toLong()),
            price = formatKes(o.priceMinor, language),
            status = orderStatusKey(o.status),
            reference = listOf(o.source, o.externalRef).filter { it.isNotBlank() }.joinToString(" "),
            replenish = replenishText(o),
            replenishNote = if (o.replenish) UiText(StringKey.ORDER_REPLENISH_NOTE) else null,
            note = o.note?.ifBlank { null },
            updatedAtMs = o.updatedAtMs.toLong(),
            due = dueText(o, language),
            late = o.late,
            history = o.history.map {
                val label = when {
                    it.command != null -> orderStatusKey(it.status)
                    it.fromStock -> StringKey.ORDER_HISTORY_FROM_STOCK
                    else -> StringKey.ORDER_HISTORY_CREATED
                }
                OrderHistoryLine(label, it.atMs.toLong(), it.reason?.ifBlank { null })
            },
            historyDropped = if (o.historyDropped == 0u) null else UiText(StringKey.ORDER_HISTORY_DROPPED, o.historyDropped.toLong()),
            pending = o.pendingCommands.map(::orderCommandKey),
            refusals = refusals,
            actions = o.commands.map { OrderAction(it, orderCommandKey(it), orderCommandTakesReason(it)) },
        )
    }
}
