// Her money (issue 11, ADR 0020): what each delivered order earned, refunds, payouts and what
// became of them, newest first, with her balance and what she has earned so far. The entries
// and the sums come from the core (the depot writes them; the phone only shows them); amounts
// are formatted by the core. Calls block on the database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.EarningItem
import uniffi.fundi.EntryKind
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.SyncServiceInterface
import uniffi.fundi.formatKes

/** One entry: what it was ("Earned: Kiondo basket"), the signed amount, when, and why (a refund's reason). */
data class EarningRow(val what: UiText, val amount: String, val credit: Boolean, val atMs: Long, val note: String?)

data class EarningsState(
    val rows: List<EarningRow>,
    /** "Balance: KSh 2,500" and "Earned so far: KSh 3,700"; null before anything was earned. */
    val balance: UiText? = null,
    val earned: UiText? = null,
    val message: UiText? = null,
) {
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

fun earningWhat(item: EarningItem): UiText {
    val product = item.product ?: item.orderId
    return when (item.kind) {
        EntryKind.EARNING -> if (product == null) UiText(StringKey.EARNING_EARNED_ORDER) else UiText(StringKey.EARNING_EARNED, product)
        EntryKind.REVERSAL -> if (product == null) UiText(StringKey.EARNING_REFUNDED_ORDER) else UiText(StringKey.EARNING_REFUNDED, product)
        EntryKind.PAYOUT -> UiText(StringKey.EARNING_PAYOUT)
        EntryKind.PAYOUT_RETURNED -> UiText(StringKey.EARNING_PAYOUT_RETURNED)
        EntryKind.COMMISSION -> UiText(StringKey.EARNING_COMMISSION)
        null -> UiText(StringKey.EARNING_OTHER)
    }
}

class EarningsPresenter(private val sync: SyncServiceInterface, private val language: Language) {

    fun load(): EarningsState = try {
        val e = sync.earnings()
        val signed = { minor: Long -> (if (minor > 0) "+" else "") + formatKes(minor, language) }
        EarningsState(
            rows = e.entries.map { EarningRow(earningWhat(it), signed(it.amountMinor), it.amountMinor > 0, it.atMs.toLong(), it.note) },
            balance = if (e.entries.isEmpty()) null else UiText(StringKey.EARNINGS_BALANCE, formatKes(e.balanceMinor, language)),
            earned = if (e.entries.isEmpty()) null else UiText(StringKey.EARNINGS_EARNED, formatKes(e.earnedMinor, language)),
        )
    } catch (ex: FundiException) {
        EarningsState(emptyList(), message = errorText(ex))
    }
}
