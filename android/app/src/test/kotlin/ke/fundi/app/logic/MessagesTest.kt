// From the core's FieldProblem and FundiException to string keys and arguments.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.DraftFieldName
import uniffi.fundi.DraftState
import uniffi.fundi.FieldIssue
import uniffi.fundi.FieldProblem
import uniffi.fundi.FundiException
import uniffi.fundi.ProductCategory
import uniffi.fundi.UiLanguage
import uniffi.fundi.formatKes
import uniffi.fundi.parsePrice

class MessagesTest {
    private val problems = listOf(
        FieldProblem.Required, FieldProblem.TooLong(80u), FieldProblem.TooMany(20u),
        FieldProblem.TooSmall(1), FieldProblem.TooLarge(1000), FieldProblem.InvalidCharacters,
    )

    @Test
    fun everyFieldAndProblemHasItsOwnKey() {
        val keys = mutableSetOf<StringKey>()
        for (field in DraftFieldName.values()) for (problem in problems) {
            keys += fieldProblemText(field, problem, UiLanguage.ENGLISH).key
        }
        assertEquals(DraftFieldName.values().size * problems.size, keys.size)
        assertTrue(keys.all { it.resName.startsWith("error_") })
    }

    @Test
    fun limitsBecomeArguments() {
        assertEquals(
            UiText(StringKey.ERROR_TITLE_TOO_LONG, 80L),
            fieldProblemText(DraftFieldName.TITLE, FieldProblem.TooLong(80u), UiLanguage.ENGLISH),
        )
        assertEquals(
            UiText(StringKey.ERROR_CAPACITY_TOO_LARGE, 1000L),
            fieldProblemText(DraftFieldName.WEEKLY_CAPACITY, FieldProblem.TooLarge(1000), UiLanguage.SWAHILI),
        )
        assertEquals(
            UiText(StringKey.ERROR_MATERIALS_TOO_MANY, 20L),
            fieldProblemText(DraftFieldName.MATERIALS, FieldProblem.TooMany(20u), UiLanguage.ENGLISH),
        )
        assertEquals(UiText(StringKey.ERROR_PRICE_INVALID), fieldProblemText(DraftFieldName.PRICE, FieldProblem.InvalidCharacters, UiLanguage.ENGLISH))
    }

    @Test
    fun priceLimitsAreFormattedByTheCore() {
        val text = fieldProblemText(DraftFieldName.PRICE, FieldProblem.TooLarge(100_000_000), UiLanguage.ENGLISH)
        assertEquals(StringKey.ERROR_PRICE_TOO_LARGE, text.key)
        assertEquals(listOf<Any>(formatKes(100_000_000, UiLanguage.ENGLISH)), text.args)
        assertEquals("KSh 1,000,000", text.args.single())
    }

    @Test
    fun parsePriceRejectionMapsToThePriceField() {
        val e = runCatching { parsePrice("abc") }.exceptionOrNull() as FundiException.InvalidInput
        assertEquals(mapOf(DraftFieldName.PRICE to UiText(StringKey.ERROR_PRICE_INVALID)), fieldErrors(e, UiLanguage.ENGLISH))
        val empty = runCatching { parsePrice("  ") }.exceptionOrNull() as FundiException.InvalidInput
        assertEquals(StringKey.ERROR_PRICE_REQUIRED, fieldErrors(empty, UiLanguage.ENGLISH).getValue(DraftFieldName.PRICE).key)
    }

    @Test
    fun theFirstIssueOfAFieldWins() {
        val e = FundiException.InvalidInput(listOf(
            FieldIssue(DraftFieldName.TITLE, FieldProblem.Required),
            FieldIssue(DraftFieldName.TITLE, FieldProblem.InvalidCharacters),
            FieldIssue(DraftFieldName.PRICE, FieldProblem.TooSmall(100)),
        ))
        val errors = fieldErrors(e, UiLanguage.ENGLISH)
        assertEquals(listOf(DraftFieldName.TITLE, DraftFieldName.PRICE), errors.keys.toList())
        assertEquals(StringKey.ERROR_TITLE_REQUIRED, errors.getValue(DraftFieldName.TITLE).key)
        assertEquals(UiText(StringKey.ERROR_PRICE_TOO_SMALL, "KSh 1"), errors.getValue(DraftFieldName.PRICE))
    }

    @Test
    fun everyErrorVariantHasAMessage() {
        val cases = mapOf(
            FundiException.InvalidInput(emptyList()) to UiText(StringKey.FIX_MARKED_FIELDS),
            FundiException.NotFound() to UiText(StringKey.ERROR_NOT_FOUND),
            FundiException.NotAllowed("submitted") to UiText(StringKey.ERROR_NOT_ALLOWED),
            FundiException.StorageFull() to UiText(StringKey.ERROR_STORAGE_FULL),
            FundiException.StorageCorrupt() to UiText(StringKey.ERROR_STORAGE_CORRUPT),
            FundiException.AppTooOld(7u, 3u) to UiText(StringKey.ERROR_APP_TOO_OLD, 7L, 3L),
            FundiException.Closed() to UiText(StringKey.ERROR_CLOSED),
            FundiException.Internal("boom") to UiText(StringKey.ERROR_INTERNAL),
        )
        for ((e, expected) in cases) assertEquals(expected, errorText(e), e::class.simpleName)
    }

    @Test
    fun statesAndCategoriesHaveDistinctLabels() {
        assertEquals(DraftState.values().size, DraftState.values().map(::stateKey).toSet().size)
        assertEquals(ProductCategory.values().size, ProductCategory.values().map(::categoryKey).toSet().size)
        assertEquals(StringKey.CATEGORY_HOME_DECOR, categoryKey(ProductCategory.HOME_DECOR))
        assertEquals(StringKey.STATE_SUBMITTED, stateKey(DraftState.SUBMITTED))
    }

    @Test
    fun languageTags() {
        assertEquals(UiLanguage.SWAHILI, uiLanguageFor("sw"))
        assertEquals(UiLanguage.SWAHILI, uiLanguageFor("sw-KE"))
        assertEquals(UiLanguage.ENGLISH, uiLanguageFor("en-KE"))
        assertEquals(UiLanguage.ENGLISH, uiLanguageFor("swh"))
    }
}
