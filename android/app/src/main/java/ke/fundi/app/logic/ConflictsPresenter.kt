// Conflicts and stuck changes: a draft field whose value lost to a concurrent edit (both values
// shown: keep the current one or restore the other), a change of this phone's the depot
// refused or that is stuck (why, in the user's words; retry or discard), and a refusal of the
// account's other device (dismiss). The core lists them (`listConflicts`, this phone's own
// with ids `outbox:N`) and settles them (`resolveConflict`). Calls block on the database.
package ke.fundi.app.logic

import uniffi.fundi.ConflictItem
import uniffi.fundi.Draft
import uniffi.fundi.DraftServiceInterface
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.SyncServiceInterface
import uniffi.fundi.formatKes

/** What the user may do with a conflict; each is one call of the core's `resolveConflict`. */
enum class ConflictAction(val label: StringKey, val restore: Boolean) {
    KEEP(StringKey.CONFLICT_KEEP, false),
    RESTORE(StringKey.CONFLICT_RESTORE, true),
    RETRY(StringKey.CONFLICT_RETRY, true),
    DISCARD(StringKey.CONFLICT_DISCARD, false),
    DISMISS(StringKey.CONFLICT_DISMISS, false),
}

data class ConflictRow(
    val id: String,
    /** What it is about: "Price of Kiondo basket", "A change to an order", ... */
    val title: UiText,
    /** The value now in place (field conflicts). */
    val current: UiText? = null,
    /** The other value: the one that lost, or what the refused change asked for. */
    val other: UiText? = null,
    /** Why the depot refused, and what to do next (refusals). */
    val reason: UiText? = null,
    /** Older values of the field the depot did not keep. */
    val folded: UiText? = null,
    val actions: List<ConflictAction>,
)

data class ConflictsState(val rows: List<ConflictRow>, val message: UiText? = null, val notice: UiText? = null) {
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

/** A draft field's label, by its name on the wire. */
fun draftFieldKey(field: String): StringKey = when (field) {
    "title" -> StringKey.FIELD_TITLE
    "description" -> StringKey.FIELD_DESCRIPTION
    "materials" -> StringKey.FIELD_MATERIALS
    "category" -> StringKey.FIELD_CATEGORY
    "price" -> StringKey.FIELD_PRICE
    "weekly_capacity" -> StringKey.FIELD_WEEKLY_CAPACITY
    else -> StringKey.FIELD_OTHER
}

/** What a record kind is called in "A change to ...". */
fun recordKindKey(kind: String): StringKey = when (kind) {
    "draft" -> StringKey.KIND_DRAFT
    "order" -> StringKey.KIND_ORDER
    "stock" -> StringKey.KIND_STOCK
    "profile" -> StringKey.KIND_PROFILE
    else -> StringKey.KIND_OTHER
}

/** Text as the user reads it from a JSON value: a string without its quotes, else as is. */
internal fun jsonText(json: String): String {
    val t = json.trim()
    if (t.length < 2 || !t.startsWith("\"") || !t.endsWith("\"")) return t
    val out = StringBuilder()
    var i = 1
    while (i < t.length - 1) {
        val c = t[i]
        if (c == '\\' && i + 1 < t.length - 1) {
            val n = t[i + 1]
            when (n) {
                'n' -> out.append('\n')
                't' -> out.append('\t')
                'u' -> if (i + 5 < t.length) {
                    out.append(t.substring(i + 2, i + 6).toInt(16).toChar()); i += 4
                }
                else -> out.append(n)
            }
            i += 2
        } else {
            out.append(c); i++
        }
    }
    return out.toString()
}

class ConflictsPresenter(
    private val drafts: DraftServiceInterface,
    private val sync: SyncServiceInterface,
    private val language: Language,
) {
    fun load(): ConflictsState = try {
        ConflictsState(sync.listConflicts().map(::row))
    } catch (e: FundiException) {
        ConflictsState(emptyList(), errorText(e))
    }

    /** Settle one conflict as [action] says, then list what is left. */
    fun settle(id: String, action: ConflictAction): ConflictsState = try {
        sync.resolveConflict(id, action.restore)
        load().copy(notice = UiText(StringKey.CONFLICT_SETTLED))
    } catch (e: FundiException) {
        load().copy(message = errorText(e))
    }

    private fun plain(s: String) = UiText(StringKey.PLAIN, s)

    private fun row(item: ConflictItem): ConflictRow {
        val field = item.field
        val draft = if (item.kind == "draft") findDraft(item.recordId) else null
        return when {
            // This phone's own change, refused by the depot (or stuck): retry or discard.
            item.id.startsWith("outbox:") -> ConflictRow(
                id = item.id,
                title = UiText(StringKey.CONFLICT_YOUR_CHANGE, recordName(item, draft)),
                other = item.value?.let(::plain),
                reason = item.reason?.let(::refusalText),
                actions = listOf(ConflictAction.RETRY, ConflictAction.DISCARD),
            )
            field != null -> ConflictRow(
                id = item.id,
                title = UiText(StringKey.CONFLICT_FIELD, UiTextArg(draftFieldKey(field)), recordName(item, draft)),
                current = draft?.let { currentValue(it, field) },
                other = item.value?.let { valueText(field, it) },
                folded = foldedConflictsText(item),
                actions = listOf(ConflictAction.KEEP, ConflictAction.RESTORE),
            )
            // A refusal of this account's other device: shown once, dismissed.
            else -> ConflictRow(
                id = item.id,
                title = UiText(StringKey.CONFLICT_OTHER_DEVICE, recordName(item, draft)),
                other = item.value?.let(::plain),
                reason = item.reason?.let(::refusalText),
                actions = listOf(ConflictAction.DISMISS),
            )
        }
    }

    private fun findDraft(id: String): Draft? = try {
        drafts.getDraft(id)
    } catch (e: FundiException) {
        null
    }

    /** The draft's title, or what kind of record it is. */
    private fun recordName(item: ConflictItem, draft: Draft?): Any =
        draft?.title?.ifBlank { null } ?: UiTextArg(recordKindKey(item.kind))

    private fun valueText(field: String, json: String): UiText =
        if (field == "price") json.trim().toLongOrNull()?.let { plain(formatKes(it, language)) } ?: plain(jsonText(json))
        else plain(jsonText(json))

    private fun currentValue(d: Draft, field: String): UiText? = when (field) {
        "title" -> plain(d.title)
        "description" -> plain(d.description)
        "materials" -> plain(d.materials.joinToString(", "))
        "category" -> UiText(categoryKey(d.category))
        "price" -> plain(formatKes(d.price.minor, language))
        "weekly_capacity" -> plain(d.weeklyCapacity.toString())
        else -> null
    }
}
