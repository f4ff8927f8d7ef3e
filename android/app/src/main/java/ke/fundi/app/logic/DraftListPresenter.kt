// State of the drafts list screen. Calls block on the database: call from a background thread.
package ke.fundi.app.logic

import uniffi.fundi.Category
import uniffi.fundi.Draft
import uniffi.fundi.DraftSummary
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.PhotoServiceInterface
import uniffi.fundi.formatKes

/**
 * One row of the list, ready to bind: every text is either final or a key with arguments.
 * `categoryIcon` picks the icon shown beside the category's name; `thumbnailPath` is the main
 * photo's small JPEG (null: the row shows the draft icon instead).
 */
data class DraftRow(
    val id: String,
    val title: String,
    val price: String,
    val weeklyCapacity: UiText,
    val category: StringKey,
    val state: StringKey,
    val categoryIcon: Category,
    val thumbnailPath: String? = null,
    val photoCount: Int = 0,
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
    categoryIcon = record.category,
)

fun draftRow(summary: DraftSummary, language: Language): DraftRow = draftRow(summary.draft, language).copy(
    thumbnailPath = summary.mainThumbnailPath,
    photoCount = summary.photoCount.toInt(),
)

class DraftListPresenter(private val photos: PhotoServiceInterface, private val language: Language) {
    fun load(): DraftListState = try {
        DraftListState(photos.draftSummaries().map { draftRow(it, language) })
    } catch (e: FundiException) {
        DraftListState(emptyList(), errorText(e))
    }
}
