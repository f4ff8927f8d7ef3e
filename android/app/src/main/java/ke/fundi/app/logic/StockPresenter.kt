// Stock at the depot: per product, what the depot holds for this artisan (the depot's entries
// plus this phone's pending ones, summed by the core), and one product's movements. Calls
// block on the database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.FundiException
import uniffi.fundi.StockMovement
import uniffi.fundi.SyncServiceInterface

/** One product: its title (or, for a product this phone has no draft of, its id) and units. */
data class StockRow(val productId: String, val title: String, val units: UiText)

data class StockState(val rows: List<StockRow>, val message: UiText? = null) {
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

/** One movement: "+5" / "-2", the reason staff wrote, when, and whether still pending here. */
data class MovementRow(val change: String, val reason: String, val atMs: Long, val pending: Boolean)

data class MovementsState(val rows: List<MovementRow>, val message: UiText? = null)

/** "+5" for units in, "-2" for units out. */
fun signed(delta: Long): String = if (delta > 0) "+$delta" else delta.toString()

class StockPresenter(private val sync: SyncServiceInterface) {

    fun levels(): StockState = try {
        StockState(
            sync.stockLevels().map {
                StockRow(it.productId, it.title?.ifBlank { null } ?: it.productId, UiText(StringKey.STOCK_UNITS, it.quantity))
            },
        )
    } catch (e: FundiException) {
        StockState(emptyList(), errorText(e))
    }

    fun movements(productId: String): MovementsState = try {
        MovementsState(sync.stockMovements(productId).map(::movementRow))
    } catch (e: FundiException) {
        MovementsState(emptyList(), errorText(e))
    }

    private fun movementRow(m: StockMovement) = MovementRow(signed(m.delta), m.reason, m.atMs.toLong(), m.pending)
}
