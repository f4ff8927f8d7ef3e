// The mapping from what the core reports (FieldProblem per field, FundiException) to text keys.
// Only mapping lives here: which problems exist and their limits are decided in Rust.
package ke.fundi.app.logic

import uniffi.fundi.DraftFieldName
import uniffi.fundi.DraftState
import uniffi.fundi.FieldProblem
import uniffi.fundi.FundiException
import uniffi.fundi.PhotoProblem
import uniffi.fundi.ProductCategory
import uniffi.fundi.UiLanguage
import uniffi.fundi.formatKes

/** The part of an `error_<field>_<problem>` key that names the field. */
private fun fieldPart(field: DraftFieldName): String = when (field) {
    DraftFieldName.TITLE -> "TITLE"
    DraftFieldName.DESCRIPTION -> "DESCRIPTION"
    DraftFieldName.MATERIALS -> "MATERIALS"
    DraftFieldName.CATEGORY -> "CATEGORY"
    DraftFieldName.PRICE -> "PRICE"
    DraftFieldName.WEEKLY_CAPACITY -> "CAPACITY"
}

/** The message for one problem with one field, in the user's language where it holds a price. */
fun fieldProblemText(field: DraftFieldName, problem: FieldProblem, language: UiLanguage): UiText {
    // A limit on the price is money: the core formats it. Other limits are plain counts.
    fun limit(value: Long): Any = if (field == DraftFieldName.PRICE) formatKes(value, language) else value
    val (problemPart, args) = when (problem) {
        is FieldProblem.Required -> "REQUIRED" to emptyList()
        is FieldProblem.TooLong -> "TOO_LONG" to listOf<Any>(problem.max.toLong())
        is FieldProblem.TooMany -> "TOO_MANY" to listOf<Any>(problem.max.toLong())
        is FieldProblem.TooSmall -> "TOO_SMALL" to listOf(limit(problem.min))
        is FieldProblem.TooLarge -> "TOO_LARGE" to listOf(limit(problem.max))
        is FieldProblem.InvalidCharacters -> "INVALID" to emptyList()
    }
    return UiText(StringKey.valueOf("ERROR_${fieldPart(field)}_$problemPart"), args)
}

/** One message per field (the first the core reported), for showing next to each field. */
fun fieldErrors(e: FundiException.InvalidInput, language: UiLanguage): Map<DraftFieldName, UiText> {
    val out = LinkedHashMap<DraftFieldName, UiText>()
    for (issue in e.issues) {
        if (issue.field !in out) out[issue.field] = fieldProblemText(issue.field, issue.problem, language)
    }
    return out
}

/** The screen-level message for an error from the core. */
fun errorText(e: FundiException): UiText = when (e) {
    is FundiException.InvalidInput -> UiText(StringKey.FIX_MARKED_FIELDS)
    is FundiException.NotFound -> UiText(StringKey.ERROR_NOT_FOUND)
    is FundiException.NotAllowed -> UiText(StringKey.ERROR_NOT_ALLOWED)
    is FundiException.StorageFull -> UiText(StringKey.ERROR_STORAGE_FULL)
    is FundiException.StorageCorrupt -> UiText(StringKey.ERROR_STORAGE_CORRUPT)
    is FundiException.AppTooOld -> UiText(StringKey.ERROR_APP_TOO_OLD, e.found.toLong(), e.supported.toLong())
    is FundiException.Closed -> UiText(StringKey.ERROR_CLOSED)
    is FundiException.Internal -> UiText(StringKey.ERROR_INTERNAL)
    is FundiException.Offline -> UiText(StringKey.ERROR_OFFLINE)
    is FundiException.Unauthorized -> UiText(StringKey.ERROR_UNAUTHORIZED)
    is FundiException.NotEnrolled -> UiText(StringKey.ERROR_NOT_ENROLLED)
    is FundiException.Conflict -> UiText(StringKey.ERROR_CONFLICT)
    is FundiException.Depot -> UiText(StringKey.ERROR_DEPOT)
    is FundiException.InvalidPhoto -> UiText(photoProblemKey(e.reason))
}

fun photoProblemKey(problem: PhotoProblem): StringKey = when (problem) {
    PhotoProblem.EMPTY -> StringKey.ERROR_PHOTO_EMPTY
    PhotoProblem.NOT_AN_IMAGE -> StringKey.ERROR_PHOTO_NOT_AN_IMAGE
    PhotoProblem.TOO_LARGE -> StringKey.ERROR_PHOTO_TOO_LARGE
    PhotoProblem.TRUNCATED -> StringKey.ERROR_PHOTO_TRUNCATED
    PhotoProblem.DAMAGED -> StringKey.ERROR_PHOTO_DAMAGED
    PhotoProblem.UNSUPPORTED -> StringKey.ERROR_PHOTO_UNSUPPORTED
    PhotoProblem.UNREADABLE -> StringKey.ERROR_PHOTO_UNREADABLE
}

fun stateKey(state: DraftState): StringKey = when (state) {
    DraftState.DRAFT -> StringKey.STATE_DRAFT
    DraftState.SUBMITTED -> StringKey.STATE_SUBMITTED
    DraftState.CHANGES_REQUESTED -> StringKey.STATE_CHANGES_REQUESTED
    DraftState.APPROVED -> StringKey.STATE_APPROVED
}

fun categoryKey(category: ProductCategory): StringKey = when (category) {
    ProductCategory.JEWELRY -> StringKey.CATEGORY_JEWELRY
    ProductCategory.TEXTILES -> StringKey.CATEGORY_TEXTILES
    ProductCategory.BASKETS -> StringKey.CATEGORY_BASKETS
    ProductCategory.HOME_DECOR -> StringKey.CATEGORY_HOME_DECOR
    ProductCategory.CARVINGS -> StringKey.CATEGORY_CARVINGS
    ProductCategory.POTTERY -> StringKey.CATEGORY_POTTERY
    ProductCategory.LEATHER -> StringKey.CATEGORY_LEATHER
    ProductCategory.BEADWORK -> StringKey.CATEGORY_BEADWORK
    ProductCategory.OTHER -> StringKey.CATEGORY_OTHER
}

/** The core's language for a BCP 47 language tag such as "sw-KE" or "en". */
fun uiLanguageFor(languageTag: String): UiLanguage =
    if (languageTag.lowercase().let { it == "sw" || it.startsWith("sw-") || it.startsWith("sw_") }) UiLanguage.SWAHILI
    else UiLanguage.ENGLISH
