// From the core's Problem and FundiException to string keys and arguments.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.ConflictItem
import uniffi.fundi.DraftField
import uniffi.fundi.DraftStatus
import uniffi.fundi.FieldError
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.NotAllowedReason
import uniffi.fundi.Problem
import uniffi.fundi.formatKes
import uniffi.fundi.parsePrice

class MessagesTest {
    private val problems = listOf(
        Problem.Required, Problem.TooLong(80u), Problem.TooMany(20u),
        Problem.TooSmall(1), Problem.TooLarge(1000), Problem.InvalidCharacters,
    )

    @Test
    fun everyFieldAndProblemHasItsOwnKey() {
        val keys = mutableSetOf<StringKey>()
        for (field in DraftField.values()) for (problem in problems) {
            keys += fieldProblemText(field, problem, Language.ENGLISH).key
        }
        assertEquals(DraftField.values().size * problems.size, keys.size)
        assertTrue(keys.all { it.resName.startsWith("error_") })
    }

    @Test
    fun limitsBecomeArguments() {
        assertEquals(
            UiText(StringKey.ERROR_TITLE_TOO_LONG, 80L),
            fieldProblemText(DraftField.TITLE, Problem.TooLong(80u), Language.ENGLISH),
        )
        assertEquals(
            UiText(StringKey.ERROR_CAPACITY_TOO_LARGE, 1000L),
            fieldProblemText(DraftField.WEEKLY_CAPACITY, Problem.TooLarge(1000), Language.SWAHILI),
        )
        assertEquals(
            UiText(StringKey.ERROR_MATERIALS_TOO_MANY, 20L),
            fieldProblemText(DraftField.MATERIALS, Problem.TooMany(20u), Language.ENGLISH),
        )
        assertEquals(UiText(StringKey.ERROR_PRICE_INVALID), fieldProblemText(DraftField.PRICE, Problem.InvalidCharacters, Language.ENGLISH))
    }

    @Test
    fun priceLimitsAreFormattedByTheCore() {
        val text = fieldProblemText(DraftField.PRICE, Problem.TooLarge(100_000_000), Language.ENGLISH)
        assertEquals(StringKey.ERROR_PRICE_TOO_LARGE, text.key)
        assertEquals(listOf<Any>(formatKes(100_000_000, Language.ENGLISH)), text.args)
        assertEquals("KSh 1,000,000", text.args.single())
    }

    @Test
    fun parsePriceRejectionMapsToThePriceField() {
        val e = runCatching { parsePrice("abc") }.exceptionOrNull() as FundiException.InvalidInput
        assertEquals(mapOf(DraftField.PRICE to UiText(StringKey.ERROR_PRICE_INVALID)), fieldErrors(e, Language.ENGLISH))
        val empty = runCatching { parsePrice("  ") }.exceptionOrNull() as FundiException.InvalidInput
        assertEquals(StringKey.ERROR_PRICE_REQUIRED, fieldErrors(empty, Language.ENGLISH).getValue(DraftField.PRICE).key)
    }

    @Test
    fun theFirstIssueOfAFieldWins() {
        val e = FundiException.InvalidInput(listOf(
            FieldError(DraftField.TITLE, Problem.Required),
            FieldError(DraftField.TITLE, Problem.InvalidCharacters),
            FieldError(DraftField.PRICE, Problem.TooSmall(100)),
        ))
        val errors = fieldErrors(e, Language.ENGLISH)
        assertEquals(listOf(DraftField.TITLE, DraftField.PRICE), errors.keys.toList())
        assertEquals(StringKey.ERROR_TITLE_REQUIRED, errors.getValue(DraftField.TITLE).key)
        assertEquals(UiText(StringKey.ERROR_PRICE_TOO_SMALL, "KSh 1"), errors.getValue(DraftField.PRICE))
    }

    @Test
    fun everyErrorVariantHasAMessage() {
        val cases = mapOf(
            FundiException.InvalidInput(emptyList()) to UiText(StringKey.FIX_MARKED_FIELDS),
            FundiException.NotFound() to UiText(StringKey.ERROR_NOT_FOUND),
            FundiException.NotAllowed(NotAllowedReason.NotEditable(DraftStatus.SUBMITTED)) to UiText(StringKey.ERROR_NOT_ALLOWED),
            FundiException.NotAllowed(NotAllowedReason.DraftFull(8u)) to UiText(StringKey.PHOTOS_FULL),
            FundiException.StorageFull() to UiText(StringKey.ERROR_STORAGE_FULL),
            FundiException.StorageFailed("disk I/O error") to UiText(StringKey.ERROR_STORAGE_FAILED),
            FundiException.StorageCorrupt() to UiText(StringKey.ERROR_STORAGE_CORRUPT),
            FundiException.AppTooOld(7u, 3u) to UiText(StringKey.ERROR_APP_TOO_OLD, 7L, 3L),
            FundiException.Closed() to UiText(StringKey.ERROR_CLOSED),
            FundiException.Internal("boom") to UiText(StringKey.ERROR_INTERNAL),
        )
        for ((e, expected) in cases) assertEquals(expected, errorText(e), e::class.simpleName)
    }

    @Test
    fun everyRefusalReasonHasAMessage() {
        val reasons = listOf(
            NotAllowedReason.DraftFull(8u), NotAllowedReason.NotEditable(DraftStatus.APPROVED), NotAllowedReason.InCatalog,
            NotAllowedReason.WrongRole, NotAllowedReason.WrongState, NotAllowedReason.Locked,
        )
        val keys = reasons.associateWith { notAllowedText(it).key }
        assertEquals(StringKey.PHOTOS_FULL, keys.getValue(NotAllowedReason.DraftFull(8u)))
        assertEquals(setOf(StringKey.ERROR_NOT_ALLOWED), (keys - NotAllowedReason.DraftFull(8u)).values.toSet())
    }

    @Test
    fun statesAndCategoriesHaveDistinctLabels() {
        assertEquals(DraftStatus.values().size, DraftStatus.values().map(::stateKey).toSet().size)
        assertEquals(Category.values().size, Category.values().map(::categoryKey).toSet().size)
        assertEquals(StringKey.CATEGORY_HOME_DECOR, categoryKey(Category.HOME_DECOR))
        assertEquals(StringKey.STATE_SUBMITTED, stateKey(DraftStatus.SUBMITTED))
    }

    @Test
    fun languageTags() {
        assertEquals(Language.SWAHILI, uiLanguageFor("sw"))
        assertEquals(Language.SWAHILI, uiLanguageFor("sw-KE"))
        assertEquals(Language.ENGLISH, uiLanguageFor("en-KE"))
        assertEquals(Language.ENGLISH, uiLanguageFor("swh"))
    }

    @Test
    fun aFieldThatKeptFewerVersionsSaysHowManyWereNotKept() {
        fun item(folded: UInt) = ConflictItem("draft:d:title:1", "draft", "d", "title", "\"Kikapu\"", null, folded)
        assertEquals(UiText(StringKey.CONFLICTS_FOLDED, 12L), foldedConflictsText(item(12u)))
        assertEquals(null, foldedConflictsText(item(0u)))
    }
}
