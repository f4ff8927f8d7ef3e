// The mapping from what the core reports (a Problem per field, FundiException, the reason
// behind a NotAllowed, the older versions a conflict's field did not keep) to text keys.
// Only mapping lives here: which problems exist and their limits are decided in Rust.
package ke.fundi.app.logic

import uniffi.fundi.Category
import uniffi.fundi.ConflictItem
import uniffi.fundi.DraftField
import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.NotAllowedReason
import uniffi.fundi.PhotoProblem
import uniffi.fundi.Problem
import uniffi.fundi.formatKes

/** What kind of problem a field has, as far as its message goes. */
private enum class ProblemKind { REQUIRED, TOO_LONG, TOO_MANY, TOO_SMALL, TOO_LARGE, INVALID }

/** The key for one field and one kind of problem: spelled out, so the compiler checks each. */
private fun fieldProblemKey(field: DraftField, kind: ProblemKind): StringKey = when (kind) {
    ProblemKind.REQUIRED -> when (field) {
        DraftField.TITLE -> StringKey.ERROR_TITLE_REQUIRED
        DraftField.DESCRIPTION -> StringKey.ERROR_DESCRIPTION_REQUIRED
        DraftField.MATERIALS -> StringKey.ERROR_MATERIALS_REQUIRED
        DraftField.CATEGORY -> StringKey.ERROR_CATEGORY_REQUIRED
        DraftField.PRICE -> StringKey.ERROR_PRICE_REQUIRED
        DraftField.WEEKLY_CAPACITY -> StringKey.ERROR_CAPACITY_REQUIRED
    }
    ProblemKind.TOO_LONG -> when (field) {
        DraftField.TITLE -> StringKey.ERROR_TITLE_TOO_LONG
        DraftField.DESCRIPTION -> StringKey.ERROR_DESCRIPTION_TOO_LONG
        DraftField.MATERIALS -> StringKey.ERROR_MATERIALS_TOO_LONG
        DraftField.CATEGORY -> StringKey.ERROR_CATEGORY_TOO_LONG
        DraftField.PRICE -> StringKey.ERROR_PRICE_TOO_LONG
        DraftField.WEEKLY_CAPACITY -> StringKey.ERROR_CAPACITY_TOO_LONG
    }
    ProblemKind.TOO_MANY -> when (field) {
        DraftField.TITLE -> StringKey.ERROR_TITLE_TOO_MANY
        DraftField.DESCRIPTION -> StringKey.ERROR_DESCRIPTION_TOO_MANY
        DraftField.MATERIALS -> StringKey.ERROR_MATERIALS_TOO_MANY
        DraftField.CATEGORY -> StringKey.ERROR_CATEGORY_TOO_MANY
        DraftField.PRICE -> StringKey.ERROR_PRICE_TOO_MANY
        DraftField.WEEKLY_CAPACITY -> StringKey.ERROR_CAPACITY_TOO_MANY
    }
    ProblemKind.TOO_SMALL -> when (field) {
        DraftField.TITLE -> StringKey.ERROR_TITLE_TOO_SMALL
        DraftField.DESCRIPTION -> StringKey.ERROR_DESCRIPTION_TOO_SMALL
        DraftField.MATERIALS -> StringKey.ERROR_MATERIALS_TOO_SMALL
        DraftField.CATEGORY -> StringKey.ERROR_CATEGORY_TOO_SMALL
        DraftField.PRICE -> StringKey.ERROR_PRICE_TOO_SMALL
        DraftField.WEEKLY_CAPACITY -> StringKey.ERROR_CAPACITY_TOO_SMALL
    }
    ProblemKind.TOO_LARGE -> when (field) {
        DraftField.TITLE -> StringKey.ERROR_TITLE_TOO_LARGE
        DraftField.DESCRIPTION -> StringKey.ERROR_DESCRIPTION_TOO_LARGE
        DraftField.MATERIALS -> StringKey.ERROR_MATERIALS_TOO_LARGE
        DraftField.CATEGORY -> StringKey.ERROR_CATEGORY_TOO_LARGE
        DraftField.PRICE -> StringKey.ERROR_PRICE_TOO_LARGE
        DraftField.WEEKLY_CAPACITY -> StringKey.ERROR_CAPACITY_TOO_LARGE
    }
    ProblemKind.INVALID -> when (field) {
        DraftField.TITLE -> StringKey.ERROR_TITLE_INVALID
        DraftField.DESCRIPTION -> StringKey.ERROR_DESCRIPTION_INVALID
        DraftField.MATERIALS -> StringKey.ERROR_MATERIALS_INVALID
        DraftField.CATEGORY -> StringKey.ERROR_CATEGORY_INVALID
        DraftField.PRICE -> StringKey.ERROR_PRICE_INVALID
        DraftField.WEEKLY_CAPACITY -> StringKey.ERROR_CAPACITY_INVALID
    }
}

/** The message for one problem with one field, in the user's language where it holds a price. */
fun fieldProblemText(field: DraftField, problem: Problem, language: Language): UiText {
    // A limit on the price is money: the core formats it. Other limits are plain counts.
    fun limit(value: Long): Any = if (field == DraftField.PRICE) formatKes(value, language) else value
    val (kind, args) = when (problem) {
        is Problem.Required -> ProblemKind.REQUIRED to emptyList()
        is Problem.TooLong -> ProblemKind.TOO_LONG to listOf<Any>(problem.max.toLong())
        is Problem.TooMany -> ProblemKind.TOO_MANY to listOf<Any>(problem.max.toLong())
        is Problem.TooSmall -> ProblemKind.TOO_SMALL to listOf(limit(problem.min))
        is Problem.TooLarge -> ProblemKind.TOO_LARGE to listOf(limit(problem.max))
        is Problem.InvalidCharacters -> ProblemKind.INVALID to emptyList()
    }
    return UiText(fieldProblemKey(field, kind), args)
}

/** One message per field (the first the core reported), for showing next to each field. */
fun fieldErrors(e: FundiException.InvalidInput, language: Language): Map<DraftField, UiText> {
    val out = LinkedHashMap<DraftField, UiText>()
    for (issue in e.issues) {
        if (issue.field !in out) out[issue.field] = fieldProblemText(issue.field, issue.problem, language)
    }
    return out
}

/** The screen-level message for an error from the core. */
fun errorText(e: FundiException): UiText = when (e) {
    is FundiException.InvalidInput -> UiText(StringKey.FIX_MARKED_FIELDS)
    is FundiException.InvalidProfile -> UiText(StringKey.FIX_MARKED_FIELDS)
    is FundiException.NotFound -> UiText(StringKey.ERROR_NOT_FOUND)
    is FundiException.NotAllowed -> notAllowedText(e.reason)
    is FundiException.StorageFull -> UiText(StringKey.ERROR_STORAGE_FULL)
    is FundiException.StorageFailed -> UiText(StringKey.ERROR_STORAGE_FAILED)
    is FundiException.StorageCorrupt -> UiText(StringKey.ERROR_STORAGE_CORRUPT)
    is FundiException.AppTooOld -> UiText(StringKey.ERROR_APP_TOO_OLD, e.found.toLong(), e.supported.toLong())
    is FundiException.Closed -> UiText(StringKey.ERROR_CLOSED)
    is FundiException.Internal -> UiText(StringKey.ERROR_INTERNAL)
    is FundiException.Offline -> UiText(StringKey.ERROR_OFFLINE)
    is FundiException.Unauthorized -> UiText(StringKey.ERROR_UNAUTHORIZED)
    is FundiException.CredentialLost -> UiText(StringKey.SYNC_CREDENTIAL_LOST)
    is FundiException.NotEnrolled -> UiText(StringKey.ERROR_NOT_ENROLLED)
    is FundiException.DepotIdentityChanged -> UiText(StringKey.ERROR_DEPOT_IDENTITY_CHANGED)
    is FundiException.Conflict -> UiText(StringKey.ERROR_CONFLICT)
    is FundiException.Depot -> UiText(StringKey.ERROR_DEPOT)
    is FundiException.InvalidPhoto -> UiText(photoProblemKey(e.reason))
}

/**
 * Beside a field's conflicts: how many older versions of the field the depot did not keep (a
 * field keeps at most 8 concurrent values), or null when it kept them all.
 */
fun foldedConflictsText(item: ConflictItem): UiText? =
    if (item.folded == 0u) null else UiText(StringKey.CONFLICTS_FOLDED, item.folded.toLong())

/** Why the core refused an action: a full draft says so; the rest is "not possible now". */
fun notAllowedText(reason: NotAllowedReason): UiText = when (reason) {
    is NotAllowedReason.DraftFull -> UiText(StringKey.PHOTOS_FULL)
    is NotAllowedReason.NotEditable,
    is NotAllowedReason.InCatalog,
    is NotAllowedReason.WrongRole,
    is NotAllowedReason.WrongState,
    is NotAllowedReason.Locked -> UiText(StringKey.ERROR_NOT_ALLOWED)
}

fun photoProblemKey(problem: PhotoProblem): StringKey = when (problem) {
    PhotoProblem.EMPTY -> StringKey.ERROR_PHOTO_EMPTY
    PhotoProblem.NOT_AN_IMAGE -> StringKey.ERROR_PHOTO_NOT_AN_IMAGE
    PhotoProblem.TOO_LARGE -> StringKey.ERROR_PHOTO_TOO_LARGE
    PhotoProblem.TRUNCATED -> StringKey.ERROR_PHOTO_TRUNCATED
    PhotoProblem.DAMAGED -> StringKey.ERROR_PHOTO_DAMAGED
    PhotoProblem.UNSUPPORTED -> StringKey.ERROR_PHOTO_UNSUPPORTED
    PhotoProblem.HEIC -> StringKey.ERROR_PHOTO_HEIC
    PhotoProblem.UNREADABLE -> StringKey.ERROR_PHOTO_UNREADABLE
}

fun stateKey(state: DraftStatus): StringKey = when (state) {
    DraftStatus.DRAFT -> StringKey.STATE_DRAFT
    DraftStatus.SUBMITTED -> StringKey.STATE_SUBMITTED
    DraftStatus.CHANGES_REQUESTED -> StringKey.STATE_CHANGES_REQUESTED
    DraftStatus.APPROVED -> StringKey.STATE_APPROVED
}

fun categoryKey(category: Category): StringKey = when (category) {
    Category.JEWELRY -> StringKey.CATEGORY_JEWELRY
    Category.TEXTILES -> StringKey.CATEGORY_TEXTILES
    Category.BASKETS -> StringKey.CATEGORY_BASKETS
    Category.HOME_DECOR -> StringKey.CATEGORY_HOME_DECOR
    Category.CARVINGS -> StringKey.CATEGORY_CARVINGS
    Category.POTTERY -> StringKey.CATEGORY_POTTERY
    Category.LEATHER -> StringKey.CATEGORY_LEATHER
    Category.BEADWORK -> StringKey.CATEGORY_BEADWORK
    Category.OTHER -> StringKey.CATEGORY_OTHER
}

/** The core's language for a BCP 47 language tag such as "sw-KE" or "en". */
fun uiLanguageFor(languageTag: String): Language =
    if (languageTag.lowercase().let { it == "sw" || it.startsWith("sw-") || it.startsWith("sw_") }) Language.SWAHILI
    else Language.ENGLISH
