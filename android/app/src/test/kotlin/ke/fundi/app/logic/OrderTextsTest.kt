// Texts for orders, refusals and routing: every status and command its own key, every
// refusal the depot can send a message with what to do, every role a screen.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import uniffi.fundi.OrderCommand
import uniffi.fundi.OrderStatus
import uniffi.fundi.Role

class OrderTextsTest {

    @Test
    fun everyStatusAndCommandHasItsOwnKey() {
        assertEquals(OrderStatus.values().size, OrderStatus.values().map(::orderStatusKey).toSet().size)
        assertEquals(OrderCommand.values().size, OrderCommand.values().map(::orderCommandKey).toSet().size)
    }

    @Test
    fun piecesPutIntoTheDepotsStockHaveTheirWords() {
        assertEquals(StringKey.ORDER_STATUS_STOCKED, orderStatusKey(OrderStatus.STOCKED))
        assertEquals(StringKey.ORDER_CMD_STOCK, orderCommandKey(OrderCommand.STOCK))
    }

    @Test
    fun aRefusalIsReadFromTheReasonTheCoreKept() {
        // Reasons as the core keeps them: the depot's code, then its detail.
        val cases = mapOf(
            "illegal_transition: cannot Accept from Cancelled" to StringKey.REFUSED_STATE,
            "forbidden: Artisan may not Cancel" to StringKey.REFUSED_FORBIDDEN,
            "locked: price" to StringKey.REFUSED_LOCKED,
            "invalid: title too long" to StringKey.REFUSED_INVALID,
            "malformed: bad body" to StringKey.REFUSED_INVALID,
            "clock_ahead: 2 h" to StringKey.REFUSED_CLOCK,
            "not_found: order" to StringKey.REFUSED_GONE,
            "gone: pruned" to StringKey.REFUSED_GONE,
            "too_old_to_replay: counter 3" to StringKey.REFUSED_TOO_OLD,
            "photos_pending: 1 of the draft's photos have not reached the depot yet" to StringKey.REFUSED_PHOTOS_PENDING,
            "id_reused: e1" to StringKey.REFUSED_OTHER,
            "some_future_code: from a newer depot" to StringKey.REFUSED_OTHER,
            "" to StringKey.REFUSED_OTHER,
        )
        for ((reason, key) in cases) assertEquals(UiText(key), refusalText(reason), reason)
    }

    @Test
    fun everyRoleHasAScreen() {
        assertEquals(Route.ARTISAN_HOME, routeForRole(Role.ARTISAN))
        assertEquals(Route.MENTOR_HOME, routeForRole(Role.MENTOR))
        assertEquals(Route.CONSOLE_NOTE, routeForRole(Role.STAFF))
        assertEquals(Route.CONSOLE_NOTE, routeForRole(Role.OPERATIONS))
    }
}
