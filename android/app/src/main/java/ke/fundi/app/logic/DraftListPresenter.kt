// State of the drafts list screen. Calls block on the database: call from a background thread.
package ke.fundi.app.logic

import uniffi.fundi.Draft
import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.formatKes

/** One row of the list, ready to bind: every text is either final or a key with arguments. */
data class DraftRow(
    val id: String,
    val title: String,
    val price: String,
    val weeklyCapacity: UiText,
    val category: StringKey,
    val state: StringKey,
)

/** What the list shows: rows in the core's order (newest first), or an error message. */
data class DraftListState(val rows: List<DraftRow>, val message: UiText? = null) {
    /** True when there is nothing to list and nothing went wrong: show the welcome text. */
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

fun draftRow(record: Draft, language: Language): DraftRow = DraftRow(
    id = record.id,
    title = record.title,
    price = formatKes(record.price.minor, language),
    weeklyCapacity = UiText(StringKey.ROW_WEEKLY_CAPACITY, record.weeklyCapacity.toLong()),
    category = categoryKey(record.category),
    state = stateKey(record.status),
)

class DraftListPresenter(private val drafts: DraftServiceInterface, private val language: Language) {
    fun load(): DraftListState = try {
        DraftListState(drafts.listDrafts().map { draftRow(it, language) })
    } catch (e: FundiException) {
        DraftListState(emptyList(), errorText(e))
    }
}
