// Her money (issue 11, ADRs 0020 and 0021): what each delivered order earned and where that
// money is (not paid yet, on its way to her M-Pesa, paid with the receipt, not paid and why,
// refunded), refunds, payouts and what became of them, newest first, with her balance and what
// she has earned so far. A mentor sees her commission on each of her mentees' sales the same
// way. The entries, their status and the sums come from the core (the depot writes them; the
// phone only shows them); amounts are formatted by the core. Calls block on the database: call
// them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.EarningItem
import uniffi.fundi.EntryKind
import uniffi.fundi.EntryStatus
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.SyncServiceInterface
import uniffi.fundi.formatKes

/**
 * One entry: what it was ("Earned: Kiondo basket"), the signed amount, when, why (a refund's
 * reason), and where its money is ("Paid · M-Pesa QK12ABC"; null for entries without one).
 */
data class EarningRow(
    val what: UiText,
    val amount: String,
    val credit: Boolean,
    val atMs: Long,
    val note: String?,
    val status: UiText? = null,
)

data class EarningsState(
    val rows: List<EarningRow>,
    /** "Balance: KSh 2,500" and "Earned so far: KSh 3,700"; null before anything was earned. */
    val balance: UiText? = null,
    val earned: UiText? = null,
    /** On a mentor's phone, once her mentees have sold: "Your mentees' sales: KSh 9,000 (this month: KSh 2,500)". */
    val menteeSales: UiText? = null,
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
        EntryKind.COMMISSION -> if (product == null) UiText(StringKey.EARNING_COMMISSION) else UiText(StringKey.EARNING_COMMISSION_ON, product)
        // Folded into its payout's status by the core; listed only by a core that did not.
        EntryKind.PAYOUT_PAID, null -> UiText(StringKey.EARNING_OTHER)
    }
}

fun earningStatus(status: EntryStatus?): UiText? = when (status) {
    null -> null
    is EntryStatus.Pending -> UiText(StringKey.EARNING_STATUS_PENDING)
    is EntryStatus.InPayout -> UiText(StringKey.EARNING_STATUS_IN_PAYOUT)
    is EntryStatus.Paid -> UiText(StringKey.EARNING_STATUS_PAID, status.receipt)
    is EntryStatus.Failed -> UiText(StringKey.EARNING_STATUS_FAILED, status.reason)
    is EntryStatus.Reversed -> UiText(StringKey.EARNING_STATUS_REFUNDED)
}

class EarningsPresenter(private val sync: SyncServiceInterface, private val language: Language) {

    fun load(): EarningsState = try {
        val e = sync.earnings()
        val signed = { minor: Long -> (if (minor > 0) "+" else "") + formatKes(minor, language) }
        EarningsState(
            rows = e.entries.map {
                EarningRow(earningWhat(it), signed(it.amountMinor), it.amountMinor > 0, it.atMs.toLong(), it.note, earningStatus(it.status))
            },
            balance = if (e.entries.isEmpty()) null else UiText(StringKey.EARNINGS_BALANCE, formatKes(e.balanceMinor, language)),
            earned = if (e.entries.isEmpty()) null else UiText(StringKey.EARNINGS_EARNED, formatKes(e.earnedMinor, language)),
            menteeSales = if (e.menteeSalesMinor == 0L) null else UiText(
                StringKey.EARNINGS_MENTEE_SALES,
                formatKes(e.menteeSalesMinor, language),
                formatKes(e.menteeSalesMonthMinor, language),
            ),
        )
    } catch (ex: FundiException) {
        EarningsState(emptyList(), message = errorText(ex))
    }
}
